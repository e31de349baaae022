"""The wiki the conformance transcripts were captured on (tests/fixtures/conformance/README.md).

``setup_anchorwiki(wiki)`` creates its users in the transcripts' order, so user ids match them
(Admin 1, the installer's "MediaWiki default" 2, Alice 3 … Gina 9), their bot passwords,
preferences and Frank's block. Other test suites reuse it on in-process stores, which are
migrated but not installed: unlike ``wikipost init`` (services/installer.py, what the conformance
runner uses) it writes no Main Page.
"""

from __future__ import annotations

from dataclasses import dataclass

from wikipost.services.installer import INSTALLER_USER
from wikipost.services.users import UserRecord
from wikipost.wiki import Wiki

PASSWORDS = {
    "Admin": "admin-anchor-pass",
    "Alice": "alice-anchor-pass",
    "Bob": "bob-anchor-pass",
    "Carol": "carol-anchor-pass",
    "Dave": "dave-anchor-pass",
    "Erin": "erin-anchor-pass",
    "Frank": "frank-anchor-pass",
    "Gina": "gina-anchor-pass",
}
# (user, app id, secret, grants)
BOT_PASSWORDS = [
    ("Alice", "anchor", "alicebotpass0123456789abcdefghij", ["basic", "highvolume", "sendemail", "editpage"]),
    ("Bob", "nomail", "bobbotpass0123456789abcdefghijkl", ["basic"]),
]
FRANK_BLOCK_REASON = "Anchor test: blocked from sending email"


@dataclass
class AnchorWiki:
    users: dict[str, UserRecord]

    def __getitem__(self, name: str) -> UserRecord:
        return self.users[name]


def setup_anchorwiki(wiki: Wiki) -> AnchorWiki:
    users = wiki.users

    def user(name: str, email: str = "", confirmed: bool = False, groups: tuple[str, ...] = ()) -> UserRecord:
        existing = users.get_by_name(name)
        if existing is not None:
            return existing
        return users.create(name, PASSWORDS[name], email=email, confirmed=confirmed, groups=groups)

    made: dict[str, UserRecord] = {}
    made["Admin"] = user("Admin", "admin@anchor.test", True, ("bureaucrat", "interface-admin", "sysop"))
    users.get_or_create_system_user(INSTALLER_USER)
    made["Alice"] = user("Alice", "alice@anchor.test", True)
    made["Bob"] = user("Bob", "bob@anchor.test", True)
    made["Carol"] = user("Carol")
    made["Dave"] = user("Dave", "dave@anchor.test", False)
    made["Erin"] = user("Erin", "erin@anchor.test", True)
    made["Frank"] = user("Frank", "frank@anchor.test", True)
    made["Gina"] = user("Gina", "gina@anchor.test", True)
    users.set_option(made["Erin"].id, "disablemail", "1")
    users.set_option(made["Gina"].id, "email-blacklist", str(made["Alice"].id))
    users.block(
        made["Frank"].id,
        by=made["Admin"],
        reason=FRANK_BLOCK_REASON,
        expiry=None,
        block_email=True,
        create_account=False,
    )
    for owner, app, secret, grants in BOT_PASSWORDS:
        wiki.botpasswords.create(made[owner].id, app, grants, secret, replace=True)
    return AnchorWiki(made)
