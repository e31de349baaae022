"""Every built-in Action API module, one per file, registered here."""

from wikipost.api.module import ApiModule
from wikipost.api.modules.block import Block
from wikipost.api.modules.checktoken import CheckToken
from wikipost.api.modules.clearhasmsg import ClearHasMsg
from wikipost.api.modules.clientlogin import ClientLogin
from wikipost.api.modules.createaccount import CreateAccount
from wikipost.api.modules.delete import Delete
from wikipost.api.modules.edit import Edit
from wikipost.api.modules.editmassmessagelist import EditMassMessageList
from wikipost.api.modules.emailuser import EmailUser
from wikipost.api.modules.help import Help
from wikipost.api.modules.login import Login
from wikipost.api.modules.logout import Logout
from wikipost.api.modules.managetags import ManageTags
from wikipost.api.modules.massmessage import MassMessage
from wikipost.api.modules.options import Options
from wikipost.api.modules.paraminfo import ParamInfo
from wikipost.api.modules.parse import Parse
from wikipost.api.modules.protect import Protect
from wikipost.api.modules.query import Query
from wikipost.api.modules.query_allusers import QueryAllUsers
from wikipost.api.modules.query_blocks import QueryBlocks
from wikipost.api.modules.query_categories import QueryCategories
from wikipost.api.modules.query_categorymembers import QueryCategoryMembers
from wikipost.api.modules.query_info import QueryInfo
from wikipost.api.modules.query_logevents import QueryLogEvents
from wikipost.api.modules.query_massmessagestatus import QueryMassMessageStatus
from wikipost.api.modules.query_mmcontent import QueryMMContent
from wikipost.api.modules.query_recentchanges import QueryRecentChanges
from wikipost.api.modules.query_revisions import QueryRevisions
from wikipost.api.modules.query_siteinfo import QuerySiteinfo
from wikipost.api.modules.query_tags import QueryTags
from wikipost.api.modules.query_tokens import QueryTokens
from wikipost.api.modules.query_userinfo import QueryUserInfo
from wikipost.api.modules.query_users import QueryUsers
from wikipost.api.modules.query_watchlist import QueryWatchlist
from wikipost.api.modules.query_watchlistraw import QueryWatchlistRaw
from wikipost.api.modules.tag import Tag
from wikipost.api.modules.tokens_legacy import Tokens
from wikipost.api.modules.unblock import Unblock
from wikipost.api.modules.userrights import Userrights
from wikipost.api.modules.watch import Watch

ALL_MODULES: list[type[ApiModule]] = [
    Query,
    QueryTokens,
    CheckToken,
    ClientLogin,
    Login,
    Logout,
    Options,
    QueryAllUsers,
    QueryUserInfo,
    QueryUsers,
    Tokens,
    Help,
    ParamInfo,
    QuerySiteinfo,
    EmailUser,
    MassMessage,
    EditMassMessageList,
    QueryMassMessageStatus,
    QueryMMContent,
    Edit,
    Protect,
    Delete,
    ManageTags,
    QueryInfo,
    QueryRevisions,
    QueryCategories,
    QueryCategoryMembers,
    QueryLogEvents,
    QueryRecentChanges,
]
# --- account and administration modules ---
ALL_MODULES += [CreateAccount, Userrights, Block, Unblock, QueryBlocks]
# --- end of account and administration modules ---
# --- parse, tags, watchlist and job modules ---
ALL_MODULES += [Parse, Tag, QueryTags, Watch, QueryWatchlist, QueryWatchlistRaw, ClearHasMsg]
# --- end of parse, tags, watchlist and job modules ---
