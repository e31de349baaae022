"""list=users, list=allusers, meta=userinfo details and action=options."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.accounts.helpers import get, login, new_client, post, token, userinfo
from tests.anchorwiki import setup_anchorwiki
from wikipost.wiki import Wiki


def test_list_users_by_id_and_errors(wiki: Wiki, client: TestClient) -> None:
    anchor = setup_anchorwiki(wiki)
    alice = anchor["Alice"].id
    answer = get(
        client,
        action="query",
        list="users",
        ususerids=f"{alice}|999",
        usprop="groups|implicitgroups|editcount|registration|gender|blockinfo",
    )
    first, missing = answer["query"]["users"]
    assert list(first) == [
        "userid",
        "name",
        "editcount",
        "registration",
        "groups",
        "implicitgroups",
        "gender",
    ]
    assert first["groups"] == ["*", "user", "autoconfirmed"] and first["gender"] == "unknown"
    assert missing == {"userid": 999, "missing": ""}
    mix = get(client, action="query", list="users", ususers="Alice", ususerids="1")
    assert mix["error"]["code"] == "invalidparammix"
    assert mix["error"]["info"] == 'The parameters "ususers" and "ususerids" can not be used together.'
    many = get(client, action="query", list="users", ususers="|".join(f"U{i}" for i in range(51)))
    assert many["error"]["code"] == "toomanyvalues" and many["error"]["limit"] == 50
    frank = get(client, action="query", list="users", ususers="Frank", usprop="blockinfo", formatversion="2")[
        "query"
    ]["users"][0]
    assert frank["blockedby"] == "Admin" and frank["blockexpiry"] == "infinite"
    assert frank["blocknocreate"] is False


def test_list_users_cancreate_and_rights(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    answer = get(
        client,
        action="query",
        list="users",
        ususers="New person|Ab@cd|Admin",
        usprop="cancreate|rights",
        formatversion="2",
    )["query"]["users"]
    assert answer[2] == {"userid": 1, "name": "Admin", "rights": answer[2]["rights"]}
    assert answer[2]["rights"][:2] == ["userrights", "noratelimit"]
    assert answer[0] == {"name": "New person", "missing": True, "cancreate": True}
    assert answer[1]["cancreate"] is False and answer[1]["cancreateerror"][0]["code"] == "noname"


def test_allusers_prefix_limit_and_continue(wiki: Wiki, client: TestClient) -> None:
    setup_anchorwiki(wiki)
    page = get(client, action="query", list="allusers", aulimit="3")
    assert [u["name"] for u in page["query"]["allusers"]] == ["Admin", "Alice", "Bob"]
    assert page["continue"] == {"aufrom": "Carol", "continue": "-||"}
    rest = get(client, action="query", list="allusers", aulimit="3", aufrom="Carol")
    assert [u["name"] for u in rest["query"]["allusers"]] == ["Carol", "Dave", "Erin"]
    assert [
        u["name"] for u in get(client, action="query", list="allusers", auprefix="g")["query"]["allusers"]
    ] == ["Gina"]
    sysops = get(client, action="query", list="allusers", augroup="sysop", auprop="groups")
    assert sysops["query"]["allusers"] == [
        {
            "userid": 1,
            "name": "Admin",
            "groups": ["*", "user", "autoconfirmed", "bureaucrat", "interface-admin", "sysop"],
        }
    ]
    down = get(client, action="query", list="allusers", audir="descending", aulimit="1")
    assert down["query"]["allusers"][0]["name"] == "MediaWiki default"


def test_userinfo_options_hasmsg_and_finite_block(wiki: Wiki, client: TestClient) -> None:
    anchor = setup_anchorwiki(wiki)
    login(client, "Gina", "gina-anchor-pass")
    info = userinfo(client, "options|hasmsg|registrationdate|implicitgroups|blockinfo")
    assert info["options"]["email-blacklist"] == str(anchor["Alice"].id)
    assert info["options"]["disablemail"] == 0 and "messages" not in info
    assert info["implicitgroups"] == ["*", "user", "autoconfirmed"]
    wiki.users.set_new_messages(anchor["Gina"].id)
    wiki.users.block(
        anchor["Gina"].id, by=anchor["Admin"], reason="r", expiry=int(wiki.clock.now()) + 2 * 86400
    )
    info = userinfo(client, "hasmsg|blockinfo")
    assert info["messages"] == ""
    assert info["blockexpiryrelative"] == "in 2 days" and "blockexpiryformatted" in info
    anon = get(new_client(client), action="query", meta="userinfo", uiprop="hasmsg", formatversion="2")
    assert anon["query"]["userinfo"]["messages"] is False


def test_options_module(wiki: Wiki, client: TestClient) -> None:
    anchor = setup_anchorwiki(wiki)
    anon = post(client, action="options", change="disablemail=1", token="+\\")
    assert anon["error"]["code"] == "notloggedin"
    login(client, "Carol", "carol-anchor-pass")
    csrf = token(client)
    assert post(client, action="options", token=csrf)["error"]["code"] == "nochanges"
    answer = post(client, action="options", change="disablemail=1|bogus=2", token=csrf)
    assert answer["options"] == "success"
    assert answer["warnings"]["options"]["*"] == 'Validation error for "bogus": not a valid preference.'
    post(client, action="options", optionname="email-blacklist", optionvalue="Alice\nBob", token=csrf)
    options = wiki.users.get_options(anchor["Carol"].id)
    assert options["disablemail"] == "1"
    assert options["email-blacklist"] == f"{anchor['Alice'].id}\n{anchor['Bob'].id}"
    post(client, action="options", reset="", token=csrf)
    assert wiki.users.stored_options(anchor["Carol"].id) == {}
    bp = new_client(client)
    login(bp, "Bob@nomail", "bobbotpass0123456789abcdefghijkl")
    denied = post(bp, action="options", change="disablemail=1", token=token(bp))
    assert denied["error"]["code"] == "permissiondenied"
