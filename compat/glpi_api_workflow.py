#!/usr/bin/env python3
"""Compatibility check: drive the real PyPI client `glpi-api` 0.7.0 against Parc.

Environment:
  PARC_URL         server root, e.g. http://127.0.0.1:18080 (``/apirest.php`` is appended
                   unless the URL already ends with it)
  PARC_LOGIN       login of a super-admin
  PARC_PASSWORD    its password
  PARC_USER_TOKEN  its API token (glpi_users.api_token)
  PARC_APP_TOKEN   optional App-Token

Every step is printed; the first failed check stops the run with exit status 1
(2 for a configuration error). The library's public API is used wherever it offers
the call. Status codes and headers the library hides (206, Content-Range,
Accept-Range, the 404 body of getItem) are read through the library's own
``requests`` session (``glpi.session``, ``glpi.url``), which carries the same
Session-Token/App-Token headers the library sends.
"""

import os
import re
import sys
import time
import random
import traceback

import glpi_api
from glpi_api import GLPI, GLPIError

MISSING_ID = 2000000000
UNKNOWN_ITEMTYPE = "NotAGlpiItemtype"


class CheckFailed(Exception):
    """A compatibility check did not hold."""


# --------------------------------------------------------------------------- helpers

_step_no = [0]


def step(title):
    _step_no[0] += 1
    print("[{:02d}] {}".format(_step_no[0], title), flush=True)


def ok(detail):
    print("       ok: {}".format(detail), flush=True)


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed("{}: expected {!r}, got {!r}".format(what, expected, actual))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def expect_glpi_error(fn, code, what, http_status=None):
    """Call ``fn``; it must raise GLPIError whose message names ``code``.

    glpi-api formats GLPI error pairs as "(CODE) message". For statuses it does
    not map for a method it raises "unknown error: [STATUS/Reason] body"; pass
    ``http_status`` to expect that form.
    """
    try:
        result = fn()
    except GLPIError as err:
        msg = str(err)
        if http_status is None:
            check(msg.startswith("({}) ".format(code)),
                  "{}: expected GLPIError '({}) ...', got {!r}".format(what, code, msg))
        else:
            check(msg.startswith("unknown error: [{}/".format(http_status)) and code in msg,
                  "{}: expected GLPIError 'unknown error: [{}/...] ...{}...', got {!r}"
                  .format(what, http_status, code, msg))
        return msg
    raise CheckFailed("{}: expected GLPIError {}, but the call returned {!r}"
                      .format(what, code, result))


def raw(glpi, method, *parts, params=None, json=None):
    """Same URL building and headers as the library (``_set_method``), for the
    status codes and headers the library does not expose."""
    url = "/".join([glpi.url.strip("/")] + [str(p) for p in parts])
    return glpi.session.request(method, url, params=params, json=json)


def json_ct(resp, what):
    ct = resp.headers.get("Content-Type", "")
    check(ct.lower().startswith("application/json"),
          "{}: Content-Type must be application/json..., got {!r}".format(what, ct))


def result_flag(res, item_id, what):
    """Update/delete results: a list of {"<id>": bool, "message": str}."""
    check(isinstance(res, list) and len(res) == 1 and isinstance(res[0], dict),
          "{}: expected a one-element list of result objects, got {!r}".format(what, res))
    key = str(item_id)
    check(key in res[0], "{}: result object has no key {!r} (string id): {!r}"
          .format(what, key, res[0]))
    check("message" in res[0], "{}: result object has no 'message': {!r}".format(what, res[0]))
    return res[0][key]


def added_ids(res, count, what):
    """Add results: glpi-api always posts a list, so the answer is a list of
    {"id": int, "message": str}."""
    check(isinstance(res, list), "{}: add must answer a JSON list for a list input, got {!r}"
          .format(what, res))
    eq(len(res), count, what + ": number of add results")
    ids = []
    for r in res:
        check(isinstance(r, dict) and is_int(r.get("id")) and r["id"] > 0,
              "{}: each add result needs an integer 'id' > 0, got {!r}".format(what, r))
        check(isinstance(r.get("message"), str),
              "{}: each add result needs a string 'message', got {!r}".format(what, r))
        ids.append(r["id"])
    eq(len(set(ids)), count, what + ": distinct new ids")
    return ids


def ids_of(rows, what):
    check(isinstance(rows, list), "{}: expected a JSON list, got {!r}".format(what, rows))
    for r in rows:
        check(isinstance(r, dict) and is_int(r.get("id")),
              "{}: each row needs an integer 'id', got {!r}".format(what, r))
    return [r["id"] for r in rows]


# --------------------------------------------------------------------------- config

def config():
    missing = [k for k in ("PARC_URL", "PARC_LOGIN", "PARC_PASSWORD", "PARC_USER_TOKEN")
               if not os.environ.get(k)]
    if missing:
        print("configuration error: missing environment variable(s): " + ", ".join(missing),
              file=sys.stderr)
        sys.exit(2)
    base = os.environ["PARC_URL"].rstrip("/")
    if not base.endswith("/apirest.php"):
        base += "/apirest.php"
    return {
        "url": base,
        "login": os.environ["PARC_LOGIN"],
        "password": os.environ["PARC_PASSWORD"],
        "user_token": os.environ["PARC_USER_TOKEN"],
        "app_token": os.environ.get("PARC_APP_TOKEN") or None,
    }


# --------------------------------------------------------------------------- workflow

class Workflow:
    def __init__(self, cfg):
        self.cfg = cfg
        self.url = cfg["url"]
        self.app = cfg["app_token"]
        self.prefix = "parc-compat-{}-{:04x}".format(int(time.time()), random.randrange(0x10000))
        self.created = []        # (itemtype, id) still to purge if the run stops early
        self.g = None            # Basic-auth session
        self.gt = None           # user_token session

    def track(self, itemtype, item_id):
        self.created.append((itemtype, item_id))

    def untrack(self, itemtype, item_id):
        if (itemtype, item_id) in self.created:
            self.created.remove((itemtype, item_id))

    # ------------------------------------------------------------------ sessions
    def sessions(self):
        cfg = self.cfg
        step("initSession with login/password (Authorization: Basic)")
        self.g = g = GLPI(self.url, self.app, (cfg["login"], cfg["password"]))
        tok = g.session.headers.get("Session-Token")
        check(isinstance(tok, str) and tok.strip() != "",
              "initSession must answer {\"session_token\": \"<non-empty string>\"}, got %r" % (tok,))
        ok("session_token {}...".format(tok[:8]))

        step("getFullSession (Basic session)")
        s = g.get_full_session()
        check(isinstance(s, dict), "getFullSession must answer {\"session\": {...}}, got %r" % (s,))
        eq(s.get("glpiname"), cfg["login"], "session.glpiname")
        check(is_int(s.get("glpiID")) and s["glpiID"] > 0,
              "session.glpiID must be a positive integer, got %r" % (s.get("glpiID"),))
        self.user_id = s["glpiID"]
        ok("glpiID={} glpiname={}".format(s["glpiID"], s["glpiname"]))

        step("getGlpiConfig")
        c = g.get_config()   # the library returns the whole body, not its content
        check(isinstance(c, dict) and isinstance(c.get("cfg_glpi"), dict),
              "getGlpiConfig must answer {\"cfg_glpi\": {...}}, got keys %r"
              % (list(c) if isinstance(c, dict) else c,))
        ver = c["cfg_glpi"].get("version")
        check(isinstance(ver, str) and re.match(r"^\d+\.\d+", ver),
              "cfg_glpi.version must be a version string, got %r" % (ver,))
        ok("cfg_glpi.version={}".format(ver))

        step("getMyProfiles / getActiveProfile")
        profiles = g.get_my_profiles()
        check(isinstance(profiles, list) and profiles,
              "getMyProfiles must answer {\"myprofiles\": [non-empty list]}, got %r" % (profiles,))
        for p in profiles:
            check(is_int(p.get("id")) and isinstance(p.get("name"), str)
                  and isinstance(p.get("entities"), list),
                  "each profile needs int id, str name, list entities: %r" % (p,))
            for e in p["entities"]:
                check(is_int(e.get("id")) and "name" in e and "is_recursive" in e,
                      "each profile entity needs id/name/is_recursive: %r" % (e,))
        names = [p["name"] for p in profiles]
        check("Super-Admin" in names,
              "PARC_LOGIN must be a super-admin: profile 'Super-Admin' not in %r" % (names,))
        active = g.get_active_profile()
        check(isinstance(active, dict) and is_int(active.get("id")),
              "getActiveProfile must answer {\"active_profile\": {\"id\": int, ...}}, got %r" % (active,))
        check(active["id"] in [p["id"] for p in profiles],
              "active profile id %r is not one of my profiles %r"
              % (active["id"], [p["id"] for p in profiles]))
        eq(active.get("name"), {p["id"]: p["name"] for p in profiles}[active["id"]],
           "active profile name")
        ok("profiles={} active={}".format(names, active["name"]))

        step("getMyEntities / getActiveEntities / changeActiveEntities")
        mine = g.get_my_entities()
        check(isinstance(mine, list) and mine,
              "getMyEntities must answer {\"myentities\": [non-empty list]}, got %r" % (mine,))
        for e in mine:
            check(is_int(e.get("id")) and isinstance(e.get("name"), str),
                  "each of myentities needs int id and str name: %r" % (e,))
        ae = g.get_active_entities()
        check(isinstance(ae, dict) and is_int(ae.get("id"))
              and "active_entity_recursive" in ae
              and isinstance(ae.get("active_entities"), list),
              "getActiveEntities must answer {\"active_entity\": {\"id\": int, "
              "\"active_entity_recursive\": .., \"active_entities\": [..]}}, got %r" % (ae,))
        active_ids = []
        for e in ae["active_entities"]:
            check(isinstance(e, dict) and is_int(e.get("id")),
                  "active_entities items must be {\"id\": int}: %r" % (e,))
            active_ids.append(e["id"])
        check(ae["id"] in active_ids, "active entity %r not in active_entities %r"
              % (ae["id"], active_ids))
        check(ae["id"] in [e["id"] for e in mine], "active entity %r not in myentities %r"
              % (ae["id"], [e["id"] for e in mine]))
        self.entity = ae["id"]
        changed = g.set_active_entities(self.entity, is_recursive=True)
        eq(changed, True, "changeActiveEntities result (library returns bool(body))")
        r = raw(g, "POST", "changeActiveEntities",
                json={"entities_id": self.entity, "is_recursive": True})
        eq((r.status_code, r.text.strip()), (200, "true"),
           "changeActiveEntities raw answer (the library hides a 'false' body)")
        ae2 = g.get_active_entities()
        eq(ae2.get("id"), self.entity, "active entity after changeActiveEntities")
        check(ae2.get("active_entity_recursive") in (True, 1),
              "active_entity_recursive after changeActiveEntities(is_recursive=true) must be "
              "true, got %r" % (ae2.get("active_entity_recursive"),))
        ok("entity={} recursive={} active_entities={}".format(
            self.entity, ae2["active_entity_recursive"], active_ids))

        step("initSession with the API token (Authorization: user_token ...)")
        self.gt = gt = GLPI(self.url, self.app, cfg["user_token"])
        tok2 = gt.session.headers.get("Session-Token")
        check(isinstance(tok2, str) and tok2.strip() != "", "user_token initSession: no session_token")
        check(tok2 != tok, "two initSession calls must give two different session tokens")
        s2 = gt.get_full_session()
        eq(s2.get("glpiID"), self.user_id, "user_token session glpiID (same user as Basic)")
        eq(s2.get("glpiname"), cfg["login"], "user_token session glpiname")
        eq(sorted(p["name"] for p in gt.get_my_profiles()), sorted(names),
           "user_token session profiles")
        ae3 = gt.get_active_entities()
        check(isinstance(ae3, dict) and is_int(ae3.get("id")), "user_token getActiveEntities: %r" % (ae3,))
        ok("session_token {}... glpiID={}".format(tok2[:8], s2["glpiID"]))

        step("initSession with credentials and token as query parameters (use_headers=False)")
        for label, auth in (("login/password", (cfg["login"], cfg["password"])),
                            ("user_token", cfg["user_token"])):
            gq = GLPI(self.url, self.app, auth, use_headers=False)
            eq(gq.get_full_session().get("glpiID"), self.user_id, "glpiID via query " + label)
            gq.kill_session()
        ok("?login=&password= and ?user_token= both accepted")

    # ------------------------------------------------------------------ assets
    def assets(self):
        g, P, ent = self.g, self.prefix, self.entity

        step("add 3 Computers in one call (POST /Computer, list input -> 201 + list)")
        res = g.add("Computer",
                    {"name": P + "-pc1", "serial": P + "-SN1", "entities_id": ent, "comment": "c1"},
                    {"name": P + "-pc2", "serial": P + "-SN2", "entities_id": ent, "comment": "c2"},
                    {"name": P + "-pc3", "serial": P + "-SN3", "entities_id": ent, "comment": "c3"})
        pc1, pc2, pc3 = added_ids(res, 3, "add Computer x3")
        for i in (pc1, pc2, pc3):
            self.track("Computer", i)
        self.pcs = (pc1, pc2, pc3)
        ok("ids {} {} {}".format(pc1, pc2, pc3))

        step("getItem Computer")
        c = g.get_item("Computer", pc1)
        check(isinstance(c, dict), "getItem Computer/%d must answer an object, got %r" % (pc1, c))
        eq(c.get("id"), pc1, "Computer.id")
        eq(c.get("name"), P + "-pc1", "Computer.name")
        eq(c.get("serial"), P + "-SN1", "Computer.serial")
        eq(c.get("entities_id"), ent, "Computer.entities_id")
        eq(c.get("is_deleted"), 0, "Computer.is_deleted (integer 0, not false)")
        check(isinstance(c.get("links"), list) and c["links"]
              and all("rel" in l and "href" in l for l in c["links"]),
              "getItem must add HATEOAS 'links' [{rel, href}] by default, got %r" % (c.get("links"),))
        c_nolinks = g.get_item("Computer", pc1, get_hateoas=False)
        check("links" not in c_nolinks, "get_hateoas=false must drop 'links'")
        eq(c_nolinks.get("name"), P + "-pc1", "Computer.name with get_hateoas=false")
        ok("name/serial/entities_id/is_deleted/links as expected")

        step("update one Computer (PUT /Computer, {\"input\": [{id, ...}]})")
        res = g.update("Computer", {"id": pc1, "serial": P + "-SN1b", "comment": "updated"})
        eq(result_flag(res, pc1, "update Computer"), True, "update Computer result flag")
        c = g.get_item("Computer", pc1)
        eq(c.get("serial"), P + "-SN1b", "Computer.serial after update")
        eq(c.get("comment"), "updated", "Computer.comment after update")
        eq(c.get("name"), P + "-pc1", "Computer.name untouched by partial update")
        ok("[{{'{}': True, 'message': ...}}] and fields changed".format(pc1))

        step("update two Computers in one call")
        res = g.update("Computer", {"id": pc2, "comment": "bulk2"}, {"id": pc3, "comment": "bulk3"})
        check(isinstance(res, list) and len(res) == 2, "bulk update must answer a 2-element list: %r" % (res,))
        eq(res[0].get(str(pc2)), True, "bulk update result for pc2")
        eq(res[1].get(str(pc3)), True, "bulk update result for pc3")
        eq(g.get_item("Computer", pc3).get("comment"), "bulk3", "pc3.comment after bulk update")
        ok("both updated")

        step("getItems Computer with searchText and ranges")
        st = {"name": P + "-pc"}
        rows = g.get_all_items("Computer", searchText=st)
        eq(ids_of(rows, "GET /Computer"), [pc1, pc2, pc3], "GET /Computer?searchText[name]=... ids (sorted by id)")
        rows = g.get_all_items("Computer", searchText=st, range="0-1")
        eq(ids_of(rows, "range=0-1"), [pc1, pc2], "range=0-1 ids")
        rows = g.get_all_items("Computer", searchText=st, range="2-2")
        eq(ids_of(rows, "range=2-2"), [pc3], "range=2-2 ids")
        rows = g.get_all_items("Computer", searchText=st, sort="name", order="DESC")
        eq(ids_of(rows, "sort=name&order=DESC"), [pc3, pc2, pc1], "sort=name&order=DESC ids")
        rows = g.get_all_items("Computer", searchText={"name": P + "-nothing"})
        eq(rows, [], "GET /Computer with a searchText matching nothing")
        expect_glpi_error(lambda: g.get_all_items("Computer", searchText=st, range="5-6"),
                          "ERROR_RANGE_EXCEED_TOTAL", "range start beyond total")
        ok("all, 0-1, 2-2, sort DESC, no match, range beyond total")

        step("getItems status codes and pagination headers")
        q = {"searchText[name]": P + "-pc"}
        r = raw(g, "GET", "Computer", params=dict(q, range="0-1"))
        eq(r.status_code, 206, "GET /Computer?range=0-1 (2 of 3) status")
        json_ct(r, "GET /Computer?range=0-1")
        eq(r.headers.get("Content-Range"), "0-1/3", "Content-Range for range=0-1 of 3")
        ar = r.headers.get("Accept-Range", "")
        check(re.match(r"^Computer \d+$", ar), "Accept-Range must be 'Computer <max>', got %r" % (ar,))
        r = raw(g, "GET", "Computer", params=dict(q, range="0-9"))
        eq(r.status_code, 200, "GET /Computer?range=0-9 (all 3) status")
        eq(r.headers.get("Content-Range"), "0-2/3", "Content-Range for range=0-9 of 3 (end clamped)")
        eq(len(r.json()), 3, "rows for range=0-9")
        r = raw(g, "GET", "Computer", params={"searchText[name]": P + "-nothing"})
        eq(r.status_code, 200, "empty list status")
        eq(r.json(), [], "empty list body")
        check("Content-Range" not in r.headers, "no Content-Range on an empty list, got %r"
              % (r.headers.get("Content-Range"),))
        ok("206 + 'Content-Range: 0-1/3', 200 + '0-2/3', Accept-Range {!r}, empty -> 200 []".format(ar))

        step("add a Monitor (single item), read, update, list")
        res = g.add("Monitor", {"name": P + "-mon", "serial": P + "-MSN", "entities_id": ent})
        (mon,) = added_ids(res, 1, "add Monitor")
        self.track("Monitor", mon)
        self.mon = mon
        m = g.get_item("Monitor", mon)
        eq(m.get("id"), mon, "Monitor.id")
        eq(m.get("name"), P + "-mon", "Monitor.name")
        eq(m.get("is_deleted"), 0, "Monitor.is_deleted")
        eq(result_flag(g.update("Monitor", {"id": mon, "comment": "24 inch"}), mon, "update Monitor"),
           True, "update Monitor result flag")
        eq(g.get_item("Monitor", mon).get("comment"), "24 inch", "Monitor.comment after update")
        rows = g.get_all_items("Monitor", searchText={"name": P}, range="0-0")
        eq(ids_of(rows, "GET /Monitor"), [mon], "GET /Monitor?searchText[name]=... ids")
        r = raw(g, "GET", "Monitor", params={"searchText[name]": P, "range": "0-0"})
        eq(r.status_code, 200, "GET /Monitor?range=0-0 with 1 match status")
        eq(r.headers.get("Content-Range"), "0-0/1", "Monitor Content-Range")
        ok("monitor {}".format(mon))

        step("connect the Monitor to a Computer (Computer_Item) and read it back")
        res = g.add("Computer_Item", {"computers_id": pc2, "itemtype": "Monitor", "items_id": mon})
        (ci,) = added_ids(res, 1, "add Computer_Item")
        self.track("Computer_Item", ci)
        link = g.get_item("Computer_Item", ci)
        eq(link.get("id"), ci, "Computer_Item.id")
        eq(link.get("computers_id"), pc2, "Computer_Item.computers_id")
        eq(link.get("itemtype"), "Monitor", "Computer_Item.itemtype")
        eq(link.get("items_id"), mon, "Computer_Item.items_id")
        sub = g.get_sub_items("Computer", pc2, "Computer_Item")
        eq(ids_of(sub, "GET /Computer/id/Computer_Item"), [ci], "Computer/%d/Computer_Item ids" % pc2)
        eq(sub[0].get("items_id"), mon, "Computer/%d/Computer_Item items_id" % pc2)
        sub = g.get_sub_items("Monitor", mon, "Computer_Item")
        eq(ids_of(sub, "GET /Monitor/id/Computer_Item"), [ci], "Monitor/%d/Computer_Item ids" % mon)
        eq(sub[0].get("computers_id"), pc2, "Monitor/%d/Computer_Item computers_id" % mon)
        eq(ids_of(g.get_sub_items("Computer", pc1, "Computer_Item"), "pc1 links"), [],
           "Computer/%d/Computer_Item (unconnected computer)" % pc1)
        ok("Computer_Item {} = Computer {} <-> Monitor {}".format(ci, pc2, mon))

        step("disconnect (purge the Computer_Item)")
        eq(result_flag(g.delete("Computer_Item", {"id": ci}, force_purge=True), ci,
                       "delete Computer_Item"), True, "purge Computer_Item result flag")
        self.untrack("Computer_Item", ci)
        eq(g.get_item("Computer_Item", ci), None, "getItem of the purged Computer_Item (404 -> None)")
        eq(g.get_sub_items("Computer", pc2, "Computer_Item"), [], "Computer_Item list after purge")
        ok("link gone")

    # ------------------------------------------------------------------ trash / purge
    def trash_and_purge(self):
        g, P = self.g, self.prefix
        pc1, pc2, pc3 = self.pcs
        mon = self.mon
        st = {"name": P + "-pc"}

        step("move a Computer to the trash (DELETE without force_purge)")
        eq(result_flag(g.delete("Computer", {"id": pc1}), pc1, "trash Computer"), True,
           "trash Computer result flag")
        c = g.get_item("Computer", pc1)
        check(c is not None, "a trashed Computer must still answer getItem (200), got 404")
        eq(c.get("is_deleted"), 1, "trashed Computer.is_deleted")
        eq(ids_of(g.get_all_items("Computer", searchText=st), "list"), [pc2, pc3],
           "GET /Computer hides the trashed computer")
        trashed = g.get_all_items("Computer", searchText=st, is_deleted=True)
        eq(ids_of(trashed, "is_deleted=true"), [pc1], "GET /Computer?is_deleted=true ids")
        eq(trashed[0].get("is_deleted"), 1, "trash-bin row is_deleted")
        ok("is_deleted=1, hidden from the list, listed with is_deleted=true")

        step("purge the Computer (DELETE ?force_purge=true)")
        eq(result_flag(g.delete("Computer", {"id": pc1}, force_purge=True), pc1, "purge Computer"),
           True, "purge Computer result flag")
        self.untrack("Computer", pc1)
        eq(g.get_item("Computer", pc1), None, "getItem of a purged Computer (404 -> None)")
        eq(g.get_all_items("Computer", searchText=st, is_deleted=True), [], "trash bin after purge")
        res = g.delete("Computer", {"id": pc1}, force_purge=True)
        eq(result_flag(res, pc1, "purge again"), False,
           "second purge: 400 [\"ERROR_GLPI_DELETE\", [{\"<id>\": false, ...}]] -> flag")
        ok("gone; a second purge reports {}".format(res))

        step("trash then purge the Monitor")
        eq(result_flag(g.delete("Monitor", {"id": mon}), mon, "trash Monitor"), True,
           "trash Monitor result flag")
        eq(g.get_item("Monitor", mon).get("is_deleted"), 1, "trashed Monitor.is_deleted")
        eq(ids_of(g.get_all_items("Monitor", searchText={"name": P}), "list"), [],
           "GET /Monitor hides the trashed monitor")
        eq(ids_of(g.get_all_items("Monitor", searchText={"name": P}, is_deleted=True), "list"), [mon],
           "GET /Monitor?is_deleted=true ids")
        eq(result_flag(g.delete("Monitor", {"id": mon}, force_purge=True), mon, "purge Monitor"),
           True, "purge Monitor result flag")
        self.untrack("Monitor", mon)
        eq(g.get_item("Monitor", mon), None, "getItem of a purged Monitor")
        ok("monitor trashed then purged")

    # ------------------------------------------------------------------ ticket
    def ticket(self):
        g, P, ent = self.g, self.prefix, self.entity
        pc2 = self.pcs[1]

        step("create a Ticket")
        res = g.add("Ticket", {"name": P + "-ticket", "content": "Screen stays black",
                               "type": 1, "urgency": 4, "entities_id": ent})
        (tid,) = added_ids(res, 1, "add Ticket")
        self.track("Ticket", tid)
        t = g.get_item("Ticket", tid)
        eq(t.get("id"), tid, "Ticket.id")
        eq(t.get("name"), P + "-ticket", "Ticket.name")
        eq(t.get("content"), "Screen stays black", "Ticket.content")
        eq(t.get("status"), 1, "new Ticket.status (no assignee)")
        eq(t.get("urgency"), 4, "Ticket.urgency")
        eq(t.get("actiontime"), 0, "new Ticket.actiontime")
        eq(t.get("closedate"), None, "new Ticket.closedate")
        eq(t.get("is_deleted"), 0, "Ticket.is_deleted")
        ok("ticket {} status 1".format(tid))

        step("link the Computer to the Ticket (Item_Ticket)")
        (it,) = added_ids(g.add("Item_Ticket", {"tickets_id": tid, "itemtype": "Computer",
                                                "items_id": pc2}), 1, "add Item_Ticket")
        sub = g.get_sub_items("Ticket", tid, "Item_Ticket")
        eq(ids_of(sub, "Ticket/id/Item_Ticket"), [it], "Ticket/%d/Item_Ticket ids" % tid)
        eq((sub[0].get("itemtype"), sub[0].get("items_id"), sub[0].get("tickets_id")),
           ("Computer", pc2, tid), "Item_Ticket (itemtype, items_id, tickets_id)")
        sub = g.get_sub_items("Computer", pc2, "Item_Ticket")
        eq(ids_of(sub, "Computer/id/Item_Ticket"), [it], "Computer/%d/Item_Ticket ids" % pc2)
        eq(sub[0].get("tickets_id"), tid, "Computer/%d/Item_Ticket tickets_id" % pc2)
        ok("Item_Ticket {}".format(it))

        step("add an ITILFollowup through the sub-item route (POST /Ticket/id/ITILFollowup)")
        (fu,) = added_ids(g.add_sub_items("Ticket", tid, "ITILFollowup",
                                          {"itemtype": "Ticket", "items_id": tid,
                                           "content": "Cable checked"}), 1, "add ITILFollowup")
        sub = g.get_sub_items("Ticket", tid, "ITILFollowup")
        eq(ids_of(sub, "Ticket/id/ITILFollowup"), [fu], "Ticket/%d/ITILFollowup ids" % tid)
        eq(sub[0].get("content"), "Cable checked", "ITILFollowup.content")
        eq((sub[0].get("itemtype"), sub[0].get("items_id")), ("Ticket", tid),
           "ITILFollowup (itemtype, items_id)")
        f = g.get_item("ITILFollowup", fu)
        eq(f.get("items_id"), tid, "getItem ITILFollowup.items_id")
        ok("followup {}".format(fu))

        step("add two TicketTasks with actiontime (1800 s + 900 s)")
        (t1,) = added_ids(g.add("TicketTask", {"tickets_id": tid, "content": "Swap cable",
                                               "actiontime": 1800}), 1, "add TicketTask 1")
        (t2,) = added_ids(g.add_sub_items("Ticket", tid, "TicketTask",
                                          {"tickets_id": tid, "content": "Test screen",
                                           "actiontime": 900}), 1, "add TicketTask 2")
        sub = g.get_sub_items("Ticket", tid, "TicketTask")
        eq(sorted(ids_of(sub, "Ticket/id/TicketTask")), sorted([t1, t2]), "Ticket/%d/TicketTask ids" % tid)
        eq(sorted(r.get("actiontime") for r in sub), [900, 1800], "TicketTask.actiontime values")
        eq(g.get_item("Ticket", tid).get("actiontime"), 2700, "Ticket.actiontime = sum of task actiontimes")
        ok("tasks {} {}; ticket actiontime 2700".format(t1, t2))

        step("add an ITILSolution")
        (sol,) = added_ids(g.add("ITILSolution", {"itemtype": "Ticket", "items_id": tid,
                                                  "content": "Cable replaced"}), 1, "add ITILSolution")
        t = g.get_item("Ticket", tid)
        eq(t.get("status"), 5, "Ticket.status after ITILSolution (solved)")
        check(t.get("solvedate"), "Ticket.solvedate must be set once solved, got %r" % (t.get("solvedate"),))
        eq(t.get("closedate"), None, "Ticket.closedate while only solved")
        sub = g.get_sub_items("Ticket", tid, "ITILSolution")
        eq(ids_of(sub, "Ticket/id/ITILSolution"), [sol], "Ticket/%d/ITILSolution ids" % tid)
        eq(sub[0].get("content"), "Cable replaced", "ITILSolution.content")
        eq(sub[0].get("status"), 2, "ITILSolution.status (2 = waiting for approval)")
        ok("solution {}; ticket status 5".format(sol))

        step("close the Ticket (status 6) and read it back")
        eq(result_flag(g.update("Ticket", {"id": tid, "status": 6}), tid, "close Ticket"), True,
           "close Ticket result flag")
        t = g.get_item("Ticket", tid)
        eq(t.get("status"), 6, "Ticket.status after closing")
        check(t.get("closedate"), "Ticket.closedate must be set once closed, got %r" % (t.get("closedate"),))
        check(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", t["closedate"]),
              "Ticket.closedate must be 'YYYY-MM-DD HH:MM:SS', got %r" % (t["closedate"],))
        check(t.get("solvedate"), "Ticket.solvedate must stay set once closed")
        eq(t.get("actiontime"), 2700, "Ticket.actiontime after closing")
        eq(t.get("name"), P + "-ticket", "Ticket.name after closing")
        ok("status 6, closedate {}".format(t["closedate"]))

        step("find the Ticket with the search engine (criteria + forcedisplay)")
        data = g.search("Ticket", criteria=[{"field": 1, "searchtype": "contains", "value": P}],
                        forcedisplay=[2, 12])
        check(isinstance(data, list) and len(data) == 1,
              "search/Ticket must return one row in 'data', got %r" % (data,))
        eq(data[0].get("2"), tid, "search row column '2' (ID)")
        eq(data[0].get("12"), 6, "search row column '12' (status)")
        eq(data[0].get("1"), P + "-ticket", "search row column '1' (name)")
        ok("row {}".format(data[0]))
        self.tid = tid

    # ------------------------------------------------------------------ errors
    def errors(self):
        g, cfg = self.g, self.cfg

        step("unknown itemtype -> 400 ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM")
        expect_glpi_error(lambda: g.get_item(UNKNOWN_ITEMTYPE, 1),
                          "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", "getItem of an unknown itemtype")
        expect_glpi_error(lambda: g.get_all_items(UNKNOWN_ITEMTYPE),
                          "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", "getItems of an unknown itemtype")
        expect_glpi_error(lambda: g.add(UNKNOWN_ITEMTYPE, {"name": "x"}),
                          "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", "add of an unknown itemtype")
        ok("GLPIError (ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM)")

        step("unknown id -> 404 ERROR_ITEM_NOT_FOUND")
        eq(g.get_item("Computer", MISSING_ID), None, "get_item of a missing id (the library maps 404 to None)")
        r = raw(g, "GET", "Computer", MISSING_ID)
        eq(r.status_code, 404, "GET /Computer/<missing> status")
        json_ct(r, "GET /Computer/<missing>")
        body = r.json()
        check(isinstance(body, list) and len(body) == 2 and body[0] == "ERROR_ITEM_NOT_FOUND",
              "404 body must be [\"ERROR_ITEM_NOT_FOUND\", \"...\"], got %r" % (body,))
        expect_glpi_error(lambda: g.get_multiple_items({"itemtype": "Computer", "items_id": MISSING_ID}),
                          "ERROR_ITEM_NOT_FOUND", "getMultipleItems with a missing id", http_status=404)
        expect_glpi_error(lambda: g.get_sub_items("Ticket", MISSING_ID, "ITILFollowup"),
                          "ERROR_ITEM_NOT_FOUND", "sub-items of a missing parent", http_status=404)
        expect_glpi_error(lambda: g.update("Computer", {"id": MISSING_ID, "comment": "x"}),
                          "ERROR_GLPI_UPDATE", "update of a missing id")
        res = g.delete("Computer", {"id": MISSING_ID}, force_purge=True)
        eq(result_flag(res, MISSING_ID, "delete of a missing id"), False, "delete of a missing id flag")
        ok("get_item -> None, raw 404 {}, getMultipleItems/sub-items raise, update raises, "
           "delete -> {}".format(body, res))

        step("bad credentials at login -> 401 ERROR_GLPI_LOGIN / ERROR_GLPI_LOGIN_USER_TOKEN")
        expect_glpi_error(lambda: GLPI(self.url, self.app, (cfg["login"], cfg["password"] + "-wrong")),
                          "ERROR_GLPI_LOGIN", "initSession with a wrong password")
        expect_glpi_error(lambda: GLPI(self.url, self.app, ("no-such-user-" + self.prefix, "x")),
                          "ERROR_GLPI_LOGIN", "initSession with an unknown login")
        expect_glpi_error(lambda: GLPI(self.url, self.app, "not-a-valid-user-token"),
                          "ERROR_GLPI_LOGIN_USER_TOKEN", "initSession with a wrong user_token")
        if self.app is None:
            expect_glpi_error(lambda: GLPI(self.url, "not-a-valid-app-token",
                                           (cfg["login"], cfg["password"])),
                              "ERROR_WRONG_APP_TOKEN_PARAMETER", "initSession with a wrong App-Token")
        ok("GLPIError for each")

        step("bad / missing session token -> 401 ERROR_SESSION_TOKEN_INVALID / 400 ..._MISSING")
        good = g.session.headers["Session-Token"]
        try:
            g.session.headers["Session-Token"] = "0123456789abcdefghijklmnopqrstuv"
            expect_glpi_error(g.get_full_session, "ERROR_SESSION_TOKEN_INVALID",
                              "getFullSession with a bogus Session-Token")
            expect_glpi_error(lambda: g.get_all_items("Computer"), "ERROR_SESSION_TOKEN_INVALID",
                              "getItems with a bogus Session-Token")
            r = raw(g, "GET", "Computer", 1)
            eq(r.status_code, 401, "GET /Computer/1 with a bogus Session-Token status")
            g.session.headers["Session-Token"] = None     # requests then drops the header
            expect_glpi_error(g.get_full_session, "ERROR_SESSION_TOKEN_MISSING",
                              "getFullSession without Session-Token")
        finally:
            g.session.headers["Session-Token"] = good
        eq(g.get_full_session().get("glpiID"), self.user_id, "session still valid after the bogus-token calls")
        ok("GLPIError for each; the real session still works")

    # ------------------------------------------------------------------ cleanup / logout
    def cleanup_and_logout(self):
        g = self.g
        step("purge the remaining Ticket and Computers")
        for itemtype, item_id in [("Ticket", self.tid), ("Computer", self.pcs[1]), ("Computer", self.pcs[2])]:
            eq(result_flag(g.delete(itemtype, {"id": item_id}, force_purge=True), item_id,
                           "purge " + itemtype), True, "purge %s %d" % (itemtype, item_id))
            self.untrack(itemtype, item_id)
            eq(g.get_item(itemtype, item_id), None, "%s %d after purge" % (itemtype, item_id))
        ok("ticket {} and computers {} {} purged".format(self.tid, self.pcs[1], self.pcs[2]))

        step("connect() context manager kills its session on exit")
        with glpi_api.connect(self.url, self.app, self.cfg["user_token"]) as gc:
            eq(gc.get_full_session().get("glpiID"), self.user_id, "glpiID inside connect()")
            ctx_token = gc.session.headers["Session-Token"]
        expect_glpi_error(gc.get_full_session, "ERROR_SESSION_TOKEN_INVALID",
                          "session %s... after leaving connect()" % ctx_token[:8])
        ok("session killed on exit")

        step("killSession on both sessions; killed tokens are refused")
        for label, gg in (("user_token", self.gt), ("Basic", self.g)):
            gg.kill_session()
            expect_glpi_error(gg.get_full_session, "ERROR_SESSION_TOKEN_INVALID",
                              "getFullSession after killSession (%s session)" % label)
            expect_glpi_error(lambda: gg.get_item("Computer", 1), "ERROR_SESSION_TOKEN_INVALID",
                              "getItem after killSession (%s session)" % label)
            expect_glpi_error(gg.kill_session, "ERROR_SESSION_TOKEN_INVALID",
                              "killSession twice (%s session)" % label)
        ok("both sessions dead")

    def best_effort_cleanup(self):
        if not self.created or self.g is None:
            return
        print("cleanup: purging what this run created: {}".format(self.created), file=sys.stderr)
        for itemtype, item_id in reversed(self.created):
            try:
                self.g.delete(itemtype, {"id": item_id}, force_purge=True)
            except Exception as err:  # noqa: BLE001 - best effort only
                print("cleanup: {} {}: {}".format(itemtype, item_id, err), file=sys.stderr)

    def run(self):
        from importlib.metadata import version
        ver = version("glpi-api")
        print("glpi-api {} against {} (prefix {})".format(ver, self.url, self.prefix), flush=True)
        eq(ver, "0.7.0", "installed glpi-api version")
        self.sessions()
        self.assets()
        self.trash_and_purge()
        self.ticket()
        self.errors()
        self.cleanup_and_logout()


def main():
    cfg = config()
    wf = Workflow(cfg)
    try:
        wf.run()
    except CheckFailed as err:
        print("\nFAILED at step {}: {}".format(_step_no[0], err), file=sys.stderr, flush=True)
        wf.best_effort_cleanup()
        return 1
    except GLPIError as err:
        print("\nFAILED at step {}: unexpected GLPIError from the client: {}".format(_step_no[0], err),
              file=sys.stderr, flush=True)
        traceback.print_exc()
        wf.best_effort_cleanup()
        return 1
    except Exception as err:  # noqa: BLE001 - e.g. KeyError/JSONDecodeError inside the library
        print("\nFAILED at step {}: {}: {}".format(_step_no[0], type(err).__name__, err),
              file=sys.stderr, flush=True)
        traceback.print_exc()
        wf.best_effort_cleanup()
        return 1
    print("\nOK: glpi-api 0.7.0 workflow passed ({} steps)".format(_step_no[0]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
