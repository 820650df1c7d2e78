#!/usr/bin/env python3
"""Generate polypay's language-neutral conformance vectors (tests/vectors/*.json).

Run from the repository root:

    python3 tests/vectors/gen/generate.py            # (re)write the files
    python3 tests/vectors/gen/generate.py --check    # fail if a file would change

Oracles
  * ecommpay: gen/ecommpay_oracle.php (PHP >= 8.0, run as a subprocess) is the source
    of every expected ecommpay value (string to sign, signature, URL, callback facts,
    strnatcmp, (string)$float).  This script re-implements the documented algorithm
    (docs/ecommpay.md §1) independently in Python and fails loudly if the two disagree
    on any case (except the cases deliberately listed as PHP divergences, which must
    disagree).
  * PayCore: computed here with hashlib / base64 / decimal / urllib.parse.
  * Published values from the docs are asserted (the script aborts if one is not
    reproduced).

The output is deterministic: no clock, no unseeded randomness (a fixed-seed
splitmix64 generator is used), stable key order.
"""

import base64
import hashlib
import hmac
import json
import math
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from decimal import Decimal
from functools import cmp_to_key

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.dirname(HERE)
ORACLE = os.path.join(HERE, "ecommpay_oracle.php")
GENERATOR = "tests/vectors/gen/generate.py (ecommpay values: tests/vectors/gen/ecommpay_oracle.php on PHP 8.x)"


class GenError(Exception):
    pass


def fail(msg):
    raise GenError(msg)


# ============================================================== JSON model / writer

class Num:
    """A JSON number kept as its exact lexeme (e.g. Num('10.0'), Num('1e21'))."""

    __slots__ = ("lexeme",)

    def __init__(self, lexeme):
        if not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", lexeme):
            fail("bad number lexeme %r" % lexeme)
        self.lexeme = lexeme

    def __repr__(self):
        return "Num(%s)" % self.lexeme


def _enc_str(s, ensure_ascii, escape_slashes):
    t = json.dumps(s, ensure_ascii=ensure_ascii)
    if escape_slashes:
        t = t.replace("/", "\\/")
    return t


def dumps(v, indent=None, ensure_ascii=False, escape_slashes=False, _level=0):
    """JSON text; dict order kept, Num lexemes written verbatim.

    indent=None -> compact (',' and ':'); indent=n -> n spaces, ', ' / ': ' like json.dumps."""
    if isinstance(v, Num):
        return v.lexeme
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            fail("non-finite float")
        return repr(v)
    if isinstance(v, str):
        return _enc_str(v, ensure_ascii, escape_slashes)
    kw = dict(indent=indent, ensure_ascii=ensure_ascii, escape_slashes=escape_slashes, _level=_level + 1)
    if isinstance(v, (list, tuple)):
        if not v:
            return "[]"
        items = [dumps(x, **kw) for x in v]
        if indent is None:
            return "[" + ",".join(items) + "]"
        pad = "\n" + " " * (indent * (_level + 1))
        return "[" + pad + ("," + pad).join(items) + "\n" + " " * (indent * _level) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = []
        for k, x in v.items():
            key = _enc_str(k, ensure_ascii, escape_slashes)
            items.append(key + (":" if indent is None else ": ") + dumps(x, **kw))
        if indent is None:
            return "{" + ",".join(items) + "}"
        pad = "\n" + " " * (indent * (_level + 1))
        return "{" + pad + ("," + pad).join(items) + "\n" + " " * (indent * _level) + "}"
    fail("cannot serialise %r" % type(v))


def compact(v):
    return dumps(v)


# ============================================================== deterministic PRNG

class SplitMix64:
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


# ============================================================== PHP oracle driver

def run_oracle(tasks):
    php = shutil.which("php")
    if not php:
        fail("php (>= 8.0) is required: it is the ecommpay oracle")
    job = json.dumps({"tasks": tasks}, ensure_ascii=False).encode("utf-8")
    proc = subprocess.run([php, "-n", "-d", "precision=14", ORACLE], input=job,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        fail("PHP oracle failed (%d): %s" % (proc.returncode, proc.stderr.decode("utf-8", "replace")))
    out = json.loads(proc.stdout.decode("utf-8"))
    ver = out["php_version"]
    if int(ver.split(".")[0]) < 8:
        fail("PHP >= 8.0 required (stable sort, strnatcmp behaviour); got " + ver)
    if len(out["results"]) != len(tasks):
        fail("oracle returned %d results for %d tasks" % (len(out["results"]), len(tasks)))
    return out["results"]


# ============================================================== independent Python model of docs §1

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


class PhpFloat:
    """A float as PHP's json_decode would produce it (keeps the source lexeme)."""

    __slots__ = ("value", "lexeme")

    def __init__(self, lexeme):
        self.lexeme = lexeme
        self.value = float(lexeme)


def php_parse_int(lex):
    n = int(lex)
    return n if I64_MIN <= n <= I64_MAX else PhpFloat(lex)


def _reject_constant(name):
    raise ValueError("invalid JSON constant " + name)


def php_json_loads(text):
    """Parse like PHP json_decode(..., true): ints in i64 stay ints, others floats;
    duplicate keys keep the first position with the last value (Python dict does this)."""
    return json.loads(text, parse_int=php_parse_int, parse_float=PhpFloat,
                      parse_constant=_reject_constant)


def php_float_str(x):
    """(string)$float with precision=14 (%.14G-like, zend_gcvt layout), written from docs §1.1."""
    if math.isnan(x) or math.isinf(x):
        fail("non-finite")
    if x == 0.0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    mant, exp = ("%.13e" % x).split("e")       # correctly rounded (half-even on exact ties) to 14 digits
    neg = mant.startswith("-")
    digits = mant.lstrip("-").replace(".", "").rstrip("0") or "0"
    # PHP quirk (zend_dtoa "small integer" fast path, decimal exponent exactly 14): an integral
    # double in [1e14, 1e15) that is an exact tie at the 15th digit and rounds DOWN (to even)
    # keeps its trailing zeros: 100000000000005.0 -> "1.0000000000000E+14",
    # 123456789012305.0 -> "1.2345678901230E+14" (ties that round up, and all other values, are
    # printed with trailing zeros stripped).
    ax = abs(x)
    if 1e14 <= ax < 1e15 and ax == int(ax) and int(ax) % 10 == 5 and (int(ax) // 10) % 2 == 0:
        digits = str(int(ax) // 10)
    decpt = int(exp) + 1                        # value = 0.DIGITS * 10^decpt
    if decpt < -3 or decpt > 14:
        e = decpt - 1
        body = digits[0] + "." + (digits[1:] or "0") + "E" + ("+" if e >= 0 else "-") + str(abs(e))
    elif decpt <= 0:
        body = "0." + "0" * (-decpt) + digits
    elif len(digits) <= decpt:
        body = digits + "0" * (decpt - len(digits))
    else:
        body = digits[:decpt] + "." + digits[decpt:]
    return ("-" if neg else "") + body


WS_BYTES = b" \t\n\v\f\r"


def _isdigit(c):
    return 48 <= c <= 57


def natcmp(a, b):
    """Natural, case-sensitive comparison of two byte strings, per docs/ecommpay.md §1.1 step 3."""
    if isinstance(a, str):
        a = a.encode("utf-8")
    if isinstance(b, str):
        b = b.encode("utf-8")
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return (la > lb) - (la < lb)

    def at(s, k):
        return s[k] if k < len(s) else 0

    i = j = 0
    while i + 1 < la and a[i] == 48 and _isdigit(a[i + 1]):
        i += 1
    while j + 1 < lb and b[j] == 48 and _isdigit(b[j + 1]):
        j += 1
    while True:
        while i < la and a[i] in WS_BYTES:
            i += 1
        while j < lb and b[j] in WS_BYTES:
            j += 1
        ca, cb = at(a, i), at(b, j)
        if i < la and j < lb and _isdigit(ca) and _isdigit(cb):
            ie, je = i, j
            while ie < la and _isdigit(a[ie]):
                ie += 1
            while je < lb and _isdigit(b[je]):
                je += 1
            ra, rb = a[i:ie], b[j:je]
            if ca == 48 or cb == 48:            # "fractional": left-aligned
                r = 0
                for x, y in zip(ra, rb):
                    if x != y:
                        r = -1 if x < y else 1
                        break
                if r == 0 and len(ra) != len(rb):
                    r = -1 if len(ra) < len(rb) else 1
            else:                               # integer magnitude
                if len(ra) != len(rb):
                    r = -1 if len(ra) < len(rb) else 1
                else:
                    r = (ra > rb) - (ra < rb)
            if r:
                return r
            i, j = ie, je
            if i == la and j == lb:
                return 0
            if i == la:
                return -1
            if j == lb:
                return 1
            ca, cb = a[i], b[j]                 # no whitespace skip right after a digit run
        if ca != cb:
            return -1 if ca < cb else 1
        i += 1
        j += 1
        if i >= la and j >= lb:
            return 0
        if i >= la:
            return -1
        if j >= lb:
            return 1


def scalar_text(v):
    if v is True:
        return "1"
    if v is False:
        return "0"
    if v is None:
        return ""
    if isinstance(v, PhpFloat):
        return php_float_str(v.value)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    fail("scalar_text(%r)" % (v,))


def doc_flatten(tree, prefix, out):
    """out: dict path -> element text (first position, last value: the doc's collision rule)."""
    items = tree.items() if isinstance(tree, dict) else ((str(i), v) for i, v in enumerate(tree))
    for k, v in items:
        if k == "frame_mode":
            continue
        path = (prefix + ":" if prefix not in ("", "0") else "") + k.replace(":", "::")
        if isinstance(v, (dict, list)):
            doc_flatten(v, path, out)
        else:
            out[path] = path + ":" + scalar_text(v)


def doc_string_to_sign(tree):
    out = {}
    doc_flatten(tree, "", out)
    paths = sorted(out.keys(), key=cmp_to_key(natcmp))   # list.sort is stable
    return ";".join(out[p] for p in paths)


def hmac_b64(secret, msg):
    return base64.b64encode(hmac.new(secret.encode("utf-8"), msg.encode("utf-8"), hashlib.sha512).digest()).decode()


# ---- models of the other official SDKs, used only to compute "all_sdks_agree" (docs §1.3)

def _leaves(tree, prefix, out, escape=True):
    items = tree.items() if isinstance(tree, dict) else ((str(i), v) for i, v in enumerate(tree))
    for k, v in items:
        if k == "frame_mode":
            continue
        path = (prefix + ":" if prefix else "") + (k.replace(":", "::") if escape else k)
        if isinstance(v, (dict, list)):
            _leaves(v, path, out, escape)
        else:
            out.append((path, path + ":" + scalar_text(v)))


def _utf16_key(s):
    return s.encode("utf-16-be")


def _js_order(tree, prefix, out):
    if isinstance(tree, list):
        keys = [str(i) for i in range(len(tree))]
        get = lambda k: tree[int(k)]
    else:
        def is_index(k):
            return re.fullmatch(r"0|[1-9][0-9]*", k) is not None and int(k) < 2 ** 32 - 1
        keys = [k for k in tree if k != "frame_mode"]
        idx = sorted([k for k in keys if is_index(k)], key=int)
        rest = sorted([k for k in keys if not is_index(k)], key=_utf16_key)
        keys = idx + rest
        get = lambda k: tree[k]
    for k in keys:
        v = get(k)
        path = (prefix + ":" if prefix else "") + k
        if isinstance(v, (dict, list)):
            _js_order(v, path, out)
        else:
            out.append(path + ":" + scalar_text(v))


def all_sdks_agree(tree, secret):
    """True when, per docs §1.3, every official SDK (PHP, Python, JS, Go, Java) signs alike."""
    problems = []

    def walk(t, depth):
        items = t.items() if isinstance(t, dict) else ((str(i), v) for i, v in enumerate(t))
        if isinstance(t, list) and len(t) > 10:
            problems.append("list > 10")
        for k, v in items:
            if ":" in k:
                problems.append("colon key")
            if re.search(r"\s", k):
                problems.append("whitespace in key (natural-sort-only effect)")
            if re.fullmatch(r"[0-9]+", k) and not isinstance(t, list):
                problems.append("all-digit map key (PHP integer key / JS index key)")
            if depth == 0 and k in ("", "0") and isinstance(v, (dict, list)):
                problems.append("falsy prefix")
            if isinstance(v, (dict, list)):
                walk(v, depth + 1)
            elif v is None:
                problems.append("null")
            elif isinstance(v, PhpFloat):
                problems.append("float")
            elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2 ** 53:
                problems.append("int > 2^53")
    walk(tree, 0)
    if secret == "":
        problems.append("empty secret")
    if problems:
        return False
    flat = {}
    doc_flatten(tree, "", flat)
    php = [flat[p] for p in sorted(flat, key=cmp_to_key(natcmp))]
    leaves = []
    _leaves(tree, "", leaves)
    python = [e for _, e in sorted(leaves, key=lambda pe: pe[0])]
    go = sorted(e for _, e in leaves)
    java = sorted((e for _, e in leaves), key=_utf16_key)
    js = []
    _js_order(tree, "", js)
    return php == python == go == java == js


# ============================================================== helpers

def b64(b):
    return base64.b64encode(b).decode()


def php_urlencode(s):
    """PHP urlencode / RFC 1738 form encoding: [A-Za-z0-9_.-] kept, space '+', rest %XX."""
    return urllib.parse.quote_plus(s, safe="").replace("~", "%7E")


def whatwg_urlencode(s):
    """WHATWG application/x-www-form-urlencoded byte serializer: [A-Za-z0-9*-._] kept."""
    return urllib.parse.quote_plus(s, safe="*").replace("~", "%7E")


def with_params(case, params):
    case["params"] = params
    case["params_json"] = compact(params)
    return case


def check_unique_ids(name, cases):
    seen = set()
    for c in cases:
        if c["id"] in seen:
            fail("%s: duplicate id %s" % (name, c["id"]))
        seen.add(c["id"])


# ============================================================== 1. ecommpay_sign.json

DOCS_PARAMS = {
    "project_id": 12345, "payment_id": "X03936", "payment_amount": 3550, "payment_currency": "USD",
    "payment_description": "Guyliner purchase", "customer_first_name": "Jack",
    "customer_last_name": "Sparrow", "customer_phone": "02081234567",
}
MINIMAL = {"project_id": 12345, "payment_id": "X03936", "payment_amount": 3550, "payment_currency": "USD"}


def typical10():
    return {
        "project_id": 120345,
        "payment_id": "ORD-2024-05-14-000123",
        "payment_amount": 125000,
        "payment_currency": "EUR",
        "payment_description": "Order #123: Premium plan subscription (annual), 2 seats, incl. VAT 21% - renewal for ACME Studio",
        "customer_id": "cust_8842",
        "customer_email": "jane.doe@example.com",
        "customer_first_name": "Jane",
        "customer_last_name": "Doe",
        "language_code": "en",
    }


def sign_cases():
    S = "secret"
    c = []

    def add(id_, note, params, secret=S, agree=None):
        case = {"id": id_, "note": note, "secret": secret}
        with_params(case, params)
        if agree is not None:
            case["_agree_override"] = agree      # may only lower a computed True to False
        c.append(case)

    add("sign-docs-example", "ecommpay docs example (published string and signature, docs §1.2)", dict(DOCS_PARAMS))
    add("off-php-js-signed",
        "nested card/customer example of the official PHP/JS test suites, rebuilt from the published "
        "string to sign; frame_mode at top level and nested depth is ignored (published signature)",
        {"frame_mode": "popup",
         "card": {"card_holder": "John Smith", "cvv": "123", "frame_mode": "iframe", "month": 8,
                  "pan": "4242424242424242", "save": True, "year": 2020},
         "customer": {"id": "sutm_id", "project_id": 0}})
    add("sign-minimal", "four required purchase parameters", dict(MINIMAL))
    add("sign-frame-mode-ignored", "same as sign-minimal plus frame_mode: identical signature",
        dict(MINIMAL, frame_mode="popup"))
    add("sign-frame-mode-nested-only", "frame_mode skipped below the top level too",
        {"project_id": 1, "payment_id": "fm-2", "widget": {"frame_mode": "iframe", "theme": "dark"}})
    add("sign-empty-params", "no parameters: empty string to sign", {})
    add("sign-array-objects", "list of objects: items:0:name... (published string to sign)",
        {"project_id": 1, "items": [{"name": "Tea", "qty": 2, "price": 350}, {"name": "Cake", "qty": 1, "price": 500}]})
    add("sign-bool-top", "booleans render as 1/0 (published string to sign)",
        {"project_id": 1, "payment_id": "b-1", "redirect": True, "recurring_register": False, "close_on_missclick": True})
    add("sign-bool-as-int", "ints 1/0 instead of booleans: same string and signature as sign-bool-top",
        {"project_id": 1, "payment_id": "b-1", "redirect": 1, "recurring_register": 0, "close_on_missclick": 1})
    add("sign-bool-nested", "booleans inside a nested object and a list",
        {"project_id": 7, "options": {"save_card": True, "flags": [False, True]}})
    add("sign-nested-customer", "realistic nested map two levels deep",
        {"project_id": 42, "payment_id": "n-42", "customer": {"id": "c-9", "email": "ann@example.com",
                                                               "address": {"country": "LV", "city": "Riga", "zip": "LV-1010"}}})
    add("sign-deep-nesting", "five levels of nesting",
        {"a": {"b": {"c": {"d": {"e": "deep"}}}}, "z": 1})
    add("sign-list-10-items", "list of exactly 10 scalars (indices 0..9, all SDKs agree)",
        {"project_id": 3, "tags": ["t%d" % i for i in range(10)]})
    add("sign-natural-list-12", "list of 12 scalars: arr:2 sorts before arr:10 (natural order)",
        {"arr": ["v%d" % i for i in range(12)], "project_id": 3})
    add("sign-array-12-objects", "list of 12 objects: ...ops:9:s:ok;ops:10:id:10;...;ops:11:s:ok",
        {"project_id": 5, "ops": [{"id": i, "s": "ok"} for i in range(12)]})
    add("sign-key-sort-digits", "digit runs in keys compare numerically: item02 < item1 < item2 < item10",
        {"item10": "d", "item2": "c", "item1": "b", "item02": "a"})
    add("sign-key-digits-leading-zeros", "digit runs with leading zeros compare left-aligned",
        {"x7": "a", "x07": "b", "x007": "c", "x070": "d", "x70": "e", "x0": "f", "x00": "g", "x10": "h", "x010": "i"})
    add("sign-numeric-keys", "numeric top-level keys 10, 9, 1 sort as 1 < 9 < 10",
        {"10": "ten", "9": "nine", "1": "one"})
    add("sign-numeric-and-alnum-keys", "numeric keys mixed with alphanumeric ones",
        {"b": "x", "10": "ten", "a10": "y", "9": "nine", "a9": "z"})
    add("sign-natural-tie-order-a", "keys 'ab' then 'a b': natural tie (whitespace skipped), input order kept",
        {"ab": "1", "a b": "2"})
    add("sign-natural-tie-order-b", "keys 'a b' then 'ab': same pairs as -a in the other order; signatures differ",
        {"a b": "2", "ab": "1"})
    add("sign-whitespace-keys", "whitespace inside keys is ignored by the comparison",
        {"k 3": "a", "k2": "b", "k\t1": "c", " k0": "d", "k4 ": "e"})
    add("sign-key-prefix-vs-colon", "ASCII order - < 0 < : < _ < a: a-c < a0 < a:b (nested) < a_d < aa",
        {"aa": "5", "a_d": "4", "a": {"b": "3"}, "a0": "2", "a-c": "1"})
    add("sign-key-prefix-scalar", "path 'a' sorts before 'a0' (Go/Java sort whole elements and put a0 first)",
        {"a0": "x", "a": "y", "a_b": "z"})
    add("sign-top-level-key-zero-nested",
        "PHP falsy-prefix quirk: children of top-level key \"0\" get no '0:' prefix",
        {"0": {"b": "x", "a": "y"}, "c": "z"})
    add("sign-top-level-key-zero-scalar", "top-level key \"0\" with a scalar value: element 0:zero",
        {"0": "zero", "a": "one"})
    add("sign-top-level-key-empty-nested", "children of top-level key \"\" also get no prefix",
        {"": {"k": "v"}, "m": "n"})
    add("sign-colon-key-top", "':' in a top-level key is escaped as '::' (a::b sorts before a:b)",
        {"a:b": "1", "a": {"b": "2"}})
    add("sign-colon-key-nested", "':' in nested keys is escaped at every depth",
        {"m": {"x:y": "1", "x::z": "2", "w": {"p:q": "3"}}})
    add("sign-null-top", "null at top level signs as 'key:' (empty)",
        {"project_id": 1, "payment_description": None, "payment_id": "n-1"})
    add("sign-null-nested", "null inside a nested object and a list",
        {"project_id": 1, "customer": {"phone": None, "id": "c"}, "list": [None, "x"]})
    add("sign-empty-string-values", "empty strings sign as 'key:'",
        {"project_id": 1, "payment_description": "", "customer": {"email": ""}})
    add("sign-empty-containers", "an empty object and an empty list contribute nothing",
        {"a": {}, "b": [], "c": "x", "d": {"e": {}, "f": []}})
    add("sign-unicode-values", "non-ASCII values are signed as UTF-8 bytes",
        {"project_id": 1, "payment_description": "Покупка — 茶 ☕ 😀", "customer_first_name": "Zoë"})
    add("sign-unicode-keys", "non-ASCII keys sort by UTF-8 bytes",
        {"ключ": "1", "key": "2", "clé": "3", "키": "4"})
    add("sign-unicode-keys-order",
        "emoji key vs U+E000-U+FFFF key: code-point order (PHP) differs from UTF-16 order (JS, Java)",
        {"k\U0001F600": "emoji", "k\uFF21": "fullwidth A", "k\uE000": "private use", "kz": "ascii"})
    add("sign-special-chars-values", "';' ':' '=' '&' quotes and backslashes in values are signed verbatim",
        {"project_id": 1, "payment_description": "a;b:c=d&e 'f' \"g\" \\h / <i> %j"})
    add("sign-long-value", "a 2000-character value",
        {"project_id": 1, "payment_description": ("0123456789abcdefghij" * 100)})
    add("sign-long-secret", "secret longer than the 128-byte HMAC-SHA-512 block (hashed first)",
        dict(MINIMAL), secret="k" * 100 + "-" + "0123456789" * 5)
    add("sign-empty-secret", "empty secret (valid HMAC key)", dict(MINIMAL), secret="")
    add("sign-non-ascii-secret", "non-ASCII secret used as UTF-8 bytes", dict(MINIMAL), secret="sécret-ключ-🔑")
    add("sign-semicolon-collision-a", "value '1;b:2' signs exactly like -b (inherent ambiguity)", {"a": "1;b:2"})
    add("sign-semicolon-collision-b", "same string to sign and signature as -a", {"a": "1", "b": "2"})

    floats = [
        ("sign-float-10", "10.0", "integral float prints without decimal point"),
        ("sign-float-1-5", "1.5", "1.5"),
        ("sign-float-0-1-plus-0-2", "0.30000000000000004", "0.1+0.2 rounds to 14 digits: 0.3"),
        ("sign-float-1e21", "1e21", "scientific with mandatory fraction digit: 1.0E+21"),
        ("sign-float-1-5e-7", "1.5e-7", "small exponent: 1.5E-7"),
        ("sign-float-negative-zero", "-0.0", "negative zero prints -0"),
        ("sign-float-1-2345678901234567e14", "1.2345678901234567e14", "15+ digits above 1e14: scientific, 14 digits"),
        ("sign-float-0-0001", "0.0001", "decimal exponent -4 still fixed notation"),
        ("sign-float-0-00001", "0.00001", "decimal exponent -5: scientific 1.0E-5"),
        ("sign-float-123456789012345", "123456789012345.0", "exact tie at the 15th digit rounds half-even"),
        ("sign-float-1e14", "1e14", "1e14 switches to scientific"),
        ("sign-float-tie-keeps-zeros", "100000000000005.0",
         "exact tie rounding down to even in [1e14,1e15): PHP keeps the trailing zeros, 1.0000000000000E+14"),
        ("sign-float-1e15", "1e15", "1e15"),
        ("sign-float-99999999999999-99", "99999999999999.99", "rounds up to 1.0E+14"),
        ("sign-float-minus-1-5", "-1.5", "negative"),
        ("sign-float-100-55", "100.55", "typical decimal amount"),
    ]
    for id_, lex, note in floats:
        add(id_, "float %s: %s" % (lex, note), {"project_id": 1, "amount": Num(lex)})
    add("sign-float-nested", "floats inside nested objects and lists",
        {"sum": {"amount": Num("10.0"), "rate": Num("1.0825")}, "list": [Num("0.5"), Num("2.50")]})

    ints = [
        ("sign-int-negative", "-42", "negative integer"),
        ("sign-int-zero", "0", "zero"),
        ("sign-int-negative-zero-lexeme", "-0", "JSON -0 is an integer in PHP: prints 0"),
        ("sign-int-large", "9007199254740993", "2^53+1: exact in PHP; JSON.parse would round it (not all SDKs agree)"),
        ("sign-int-i64-max", "9223372036854775807", "i64 max stays an integer"),
        ("sign-int-i64-min", "-9223372036854775808", "i64 min stays an integer"),
        ("sign-int-beyond-i64", "9223372036854775808",
         "2^63 does not fit i64: PHP json_decode makes it a float -> 9.2233720368548E+18"),
    ]
    for id_, lex, note in ints:
        add(id_, "integer %s: %s" % (lex, note), {"project_id": 1, "amount": Num(lex)},
            agree=False if lex == "-0" else None)

    add("sign-typical10", "realistic 10-parameter purchase (~333-byte string to sign; performance anchor)", typical10())
    return c


# cases where real PHP (array keys + array_merge) differs from the algorithm described in docs §1.1
def sign_divergence_cases():
    S = "secret"
    c = []

    def add(id_, note, params):
        case = {"id": id_, "note": note, "secret": S}
        with_params(case, params)
        c.append(case)

    add("div-array-merge-renumbers-int-keys",
        "top-level keys '10','9' become PHP integer keys; array_merge (run for the later nested value) "
        "renumbers them to 0,1, so they sort by their position, not naturally",
        {"10": "a", "9": "b", "n": {"x": 1}})
    add("div-array-merge-renumbers-empty-container",
        "same renumbering is triggered by a later empty container",
        {"10": "a", "9": "b", "e": []})
    add("div-int-key-collision-kept-twice",
        "children of key '0' have no prefix; integer paths do not overwrite in array_merge, so path '1' appears twice",
        {"0": {"1": "a"}, "1": "b"})
    add("div-zero-children-int-keys",
        "integer child keys of top-level '0' are renumbered by array_merge: 10 before 9",
        {"0": {"10": "a", "9": "b"}})
    return c


PUBLISHED_SIGN = {
    "sign-docs-example": {
        "string_to_sign": "customer_first_name:Jack;customer_last_name:Sparrow;customer_phone:02081234567;"
                          "payment_amount:3550;payment_currency:USD;payment_description:Guyliner purchase;"
                          "payment_id:X03936;project_id:12345",
        "signature": "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg==",
    },
    "off-php-js-signed": {
        "string_to_sign": "card:card_holder:John Smith;card:cvv:123;card:month:8;card:pan:4242424242424242;"
                          "card:save:1;card:year:2020;customer:id:sutm_id;customer:project_id:0",
        "signature": "lY0LTSAzpR7zGce5qfYGacOuYlHGWqkMcQlqmjlsDDZI2gVcE1qVeWANnkIR7mdOqRXJnL1kO0lUmkQ0YYLWRg==",
    },
    "sign-minimal": {
        "string_to_sign": "payment_amount:3550;payment_currency:USD;payment_id:X03936;project_id:12345",
        "signature_prefix": "zitNU5ye", "signature_suffix": "vDeTERA==",
    },
    "sign-array-objects": {
        "string_to_sign": "items:0:name:Tea;items:0:price:350;items:0:qty:2;items:1:name:Cake;items:1:price:500;"
                          "items:1:qty:1;project_id:1",
    },
    "sign-bool-top": {
        "string_to_sign": "close_on_missclick:1;payment_id:b-1;project_id:1;recurring_register:0;redirect:1",
    },
}

# expectations stated in prose in the docs / brief (checked against the oracle output)
DOC_FLOAT_STRINGS = {"10.0": "10", "1.5": "1.5", "0.30000000000000004": "0.3", "1e21": "1.0E+21",
                     "1.5e-7": "1.5E-7", "-0.0": "-0", "9223372036854775808": "9.2233720368548E+18"}


def build_sign(results_log):
    cases = sign_cases()
    divs = sign_divergence_cases()
    check_unique_ids("ecommpay_sign", cases + divs)
    res = run_oracle([{"op": "sign", "params_json": c["params_json"], "secret": c["secret"]} for c in cases + divs])
    out = []
    for c, r in zip(cases, res[:len(cases)]):
        tree = php_json_loads(c["params_json"])
        doc_msg = doc_string_to_sign(tree)
        if doc_msg != r["string_to_sign"]:
            fail("%s: PHP oracle and Python model disagree:\n PHP %r\n doc %r" % (c["id"], r["string_to_sign"], doc_msg))
        if hmac_b64(c["secret"], doc_msg) != r["signature"]:
            fail("%s: HMAC mismatch between PHP and Python" % c["id"])
        c["string_to_sign"] = r["string_to_sign"]
        c["signature"] = r["signature"]
        agree = all_sdks_agree(tree, c["secret"])
        override = c.pop("_agree_override", None)
        if override is not None:
            if override and not agree:
                fail("%s: cannot force all_sdks_agree to true" % c["id"])
            agree = override
        c["all_sdks_agree"] = agree
        out.append(c)
    byid = {c["id"]: c for c in out}
    # published values
    for cid, exp in PUBLISHED_SIGN.items():
        got = byid[cid]
        if "string_to_sign" in exp and got["string_to_sign"] != exp["string_to_sign"]:
            fail("%s: published string to sign NOT reproduced: %r" % (cid, got["string_to_sign"]))
        if "signature" in exp and got["signature"] != exp["signature"]:
            fail("%s: published signature NOT reproduced: %r" % (cid, got["signature"]))
        if "signature_prefix" in exp and not (got["signature"].startswith(exp["signature_prefix"])
                                              and got["signature"].endswith(exp["signature_suffix"])):
            fail("%s: published signature prefix/suffix NOT reproduced: %r" % (cid, got["signature"]))
        results_log.append("reproduced published %s" % cid)
    # relations stated by the docs
    def same(a, b, what):
        if byid[a]["signature"] != byid[b]["signature"]:
            fail("%s vs %s: expected identical signatures (%s)" % (a, b, what))
    same("sign-minimal", "sign-frame-mode-ignored", "frame_mode ignored")
    same("sign-bool-top", "sign-bool-as-int", "bool == int 1/0")
    same("sign-semicolon-collision-a", "sign-semicolon-collision-b", "';' collision")
    if byid["sign-natural-tie-order-a"]["signature"] == byid["sign-natural-tie-order-b"]["signature"]:
        fail("natural tie order cases should differ")
    if "ops:9:s:ok;ops:10:id:10;" not in byid["sign-array-12-objects"]["string_to_sign"] or \
            not byid["sign-array-12-objects"]["string_to_sign"].endswith("ops:11:s:ok;project_id:5"):
        fail("sign-array-12-objects order not as documented")
    if not byid["sign-natural-list-12"]["string_to_sign"].startswith("arr:0:v0;arr:1:v1;arr:2:v2;arr:3:v3"):
        fail("natural list order wrong")
    if not byid["sign-key-prefix-vs-colon"]["string_to_sign"].startswith("a-c:1;a0:2;a:b:3;a_d:4;aa:5"):
        fail("key prefix order not as documented")
    if not byid["sign-top-level-key-zero-nested"]["string_to_sign"] == "a:y;b:x;c:z":
        fail("falsy-prefix quirk not reproduced")
    for c in out:
        if c["id"].startswith(("sign-float-", "sign-int-")) and c["id"] != "sign-float-nested":
            lex = c["params"]["amount"].lexeme
            if lex in DOC_FLOAT_STRINGS and not c["string_to_sign"].startswith("amount:%s;" % DOC_FLOAT_STRINGS[lex]):
                fail("%s: documented float string %s not reproduced (%s)" % (c["id"], DOC_FLOAT_STRINGS[lex], c["string_to_sign"]))
    for cid, flag in (("sign-docs-example", True), ("off-php-js-signed", True), ("sign-typical10", True),
                      ("sign-natural-list-12", False), ("sign-float-10", False), ("sign-null-top", False),
                      ("sign-colon-key-top", False), ("sign-unicode-keys-order", False), ("sign-empty-secret", False),
                      ("sign-int-large", False), ("sign-key-prefix-scalar", False), ("sign-whitespace-keys", False),
                      ("sign-semicolon-collision-a", True), ("sign-special-chars-values", True),
                      ("sign-natural-tie-order-b", False), ("sign-unicode-values", True), ("sign-empty-containers", True)):
        if byid[cid]["all_sdks_agree"] != flag:
            fail("%s: all_sdks_agree expected %s" % (cid, flag))
    n = len(byid["sign-typical10"]["string_to_sign"].encode())
    results_log.append("sign-typical10 string to sign: %d bytes" % n)
    # Where real PHP (integer array keys + array_merge) differs from the algorithm as described
    # in docs §1.1, polypay follows PHP, the reference: these are conformance cases whose
    # expected values come from PHP; the documented reading is kept for information.
    for c, r in zip(divs, res[len(cases):]):
        tree = php_json_loads(c["params_json"])
        doc_msg = doc_string_to_sign(tree)
        if doc_msg == r["string_to_sign"]:
            fail("%s: expected a PHP divergence, none found" % c["id"])
        c["string_to_sign"] = r["string_to_sign"]
        c["signature"] = r["signature"]
        c["all_sdks_agree"] = False
        c["php_integer_keys"] = True
        c["doc_string_to_sign"] = doc_msg
        out.append(c)
        results_log.append("PHP divergence %s: PHP %r vs doc %r" % (c["id"], r["string_to_sign"], doc_msg))
    return {
        "description": "ecommpay signing (docs/ecommpay.md §1): HMAC-SHA-512 over the flattened, naturally "
                       "sorted 'path:value' elements joined by ';', Base64. Inputs: params_json (authoritative, "
                       "exact number lexemes and key order) / params; outputs: string_to_sign, signature. "
                       "Cases with php_integer_keys: true are where real PHP (integer array keys + array_merge "
                       "renumbering) differs from the algorithm as described in the docs; polypay follows PHP, "
                       "and doc_string_to_sign shows the documented reading for information.",
        "generator": GENERATOR,
        "cases": out,
    }


# ============================================================== 2. ecommpay_natsort.json

def natsort_pairs():
    P = []

    def add(id_, a, b):
        P.append({"id": id_, "a": a, "b": b})

    fixed = [
        ("empty-both", "", ""), ("empty-vs-a", "", "a"), ("a-vs-empty", "a", ""), ("empty-vs-space", "", " "),
        ("equal", "abc", "abc"), ("prefix", "abc", "abcd"),
        ("arr2-arr10", "arr:2", "arr:10"), ("arr10-arr2", "arr:10", "arr:2"),
        ("item1-item2", "item1", "item2"), ("item2-item10", "item2", "item10"), ("item02-item1", "item02", "item1"),
        ("item01-item1", "item01", "item1"), ("item1-item01", "item1", "item01"),
        ("zero-vs-00", "0", "00"), ("00-vs-0", "00", "0"), ("0-vs-1", "0", "1"), ("00-vs-000", "00", "000"),
        ("leading-zeros-007-7", "007", "7"), ("leading-zeros-007-07", "007", "07"), ("leading-zeros-010-9", "010", "9"),
        ("leading-zeros-0-a", "0a", "a"), ("leading-zeros-00a-0a", "00a", "0a"),
        ("a01-a1", "a01", "a1"), ("a001b-a01c", "a001b", "a01c"), ("a01-a001", "a01", "a001"), ("a010-a01", "a010", "a01"),
        ("a0-a00", "a0", "a00"), ("a09-a1", "a09", "a1"),
        ("x1y2-x1y10", "x1y2", "x1y10"), ("x1y10-x1y9", "x1y10", "x1y9"),
        ("decimal-1.5-1.10", "1.5", "1.10"), ("decimal-1.05-1.5", "1.05", "1.5"), ("decimal-1.50-1.5", "1.50", "1.5"),
        ("big-runs", "n123456789012345678901234567890", "n123456789012345678901234567891"),
        ("big-run-longer", "n99999999999999999999", "n100000000000000000000"),
        ("space-a-b-vs-ab", "a b", "ab"), ("space-ab-vs-a-b", "ab", "a b"), ("space-multi", "a   b", "ab"),
        ("tab-middle", "a\tb", "ab"), ("newline-middle", "a\nb", "ab"), ("vtab-middle", "a\x0bb", "ab"),
        ("formfeed-middle", "a\x0cb", "ab"), ("cr-middle", "a\rb", "ab"),
        ("space-start", " a", "a"), ("tab-start", "\ta", "a"), ("space-start-vs-b", " b", "a"),
        ("space-end", "a ", "a"), ("a-vs-space-end", "a", "a "), ("space-end-both", "a ", "a\t"),
        ("space-end-vs-more", "a ", "a b"), ("spaces-only", "  ", " "), ("space-vs-tab-only", " ", "\t"),
        ("digits-after-space", "a 10", "a9"), ("digits-after-space-2", "a 2", "a10"), ("space-before-digits", " 1", "01"),
        ("space-inside-digits", "1 2", "12"), ("space-inside-digits-2", "12", "1 3"),
        ("digit-run-then-space", "1 a", "1a"), ("digit-run-then-space-rev", "1a", "1 a"),
        ("digit-run-then-space-both", "x10 a", "x10a"), ("text-then-space", "x a", "xa"),
        ("digit-run-then-tab", "7\tb", "7b"), ("zero-run-then-space", "a0 b", "a0b"),
        ("ascii-dash-zero", "a-c", "a0"), ("ascii-zero-colon", "a0", "a:b"), ("ascii-colon-underscore", "a:b", "a_d"),
        ("ascii-underscore-a", "a_d", "aa"), ("ascii-A-underscore", "A", "_"), ("ascii-dash-A", "-", "A"),
        ("ascii-colon-A", ":", "A"), ("ascii-zero-colon-bare", "0", ":"), ("case-sensitive", "B", "a"),
        ("case-sensitive-2", "a", "B"), ("case-equal-letters", "abc", "ABC"),
        ("colon-double", "a::b", "a:b"), ("colon-path", "a:b:c", "a:b0"),
        ("utf8-vs-ascii", "k\u00e9", "kz"), ("utf8-cyrillic", "\u043a", "z"), ("utf8-emoji-vs-e000", "k\U0001F600", "k\uE000"),
        ("utf8-ffff-vs-emoji", "k\uFFFF", "k\U0001F600"), ("utf8-nbsp-not-space", "a\u00a0b", "ab"),
        ("utf8-same-lead", "\u00e9", "\u00e8"),
        ("numeric-keys-9-10", "9", "10"), ("numeric-keys-10-1", "10", "1"), ("negative-like", "-5", "-10"),
        ("mixed-run", "a1b2c3", "a1b2c03"), ("leading-zero-middle", "x007y", "x7y"),
    ]
    for id_, a, b in fixed:
        add("nat-" + id_, a, b)
    rng = SplitMix64(0x9E11A5)
    alphabet = ["0", "1", "2", "9", " ", "a", "b", ":", "-", "_", "\t"]
    for k in range(200):
        s = ["".join(alphabet[rng.below(len(alphabet))] for _ in range(rng.below(7))) for _ in range(2)]
        add("nat-random-%03d" % k, s[0], s[1])
    return P


def build_natsort(results_log):
    pairs = natsort_pairs()
    check_unique_ids("ecommpay_natsort", pairs)
    res = run_oracle([{"op": "natcmp", "a": p["a"], "b": p["b"]} for p in pairs])
    for p, r in zip(pairs, res):
        mine = natcmp(p["a"], p["b"])
        if mine != r["cmp"]:
            fail("natsort %s: PHP %d, Python model %d (%r vs %r)" % (p["id"], r["cmp"], mine, p["a"], p["b"]))
        p["cmp"] = r["cmp"]
    expect = {"nat-arr2-arr10": -1, "nat-item02-item1": -1, "nat-space-a-b-vs-ab": 0, "nat-empty-both": 0,
              "nat-empty-vs-a": -1, "nat-ascii-dash-zero": -1, "nat-ascii-zero-colon": -1,
              "nat-ascii-colon-underscore": -1, "nat-ascii-underscore-a": -1, "nat-x1y2-x1y10": -1}
    byid = {p["id"]: p for p in pairs}
    for k, v in expect.items():
        if byid[k]["cmp"] != v:
            fail("natsort %s: documented result %d not reproduced" % (k, v))
    results_log.append("natsort: %d pairs, PHP == Python model" % len(pairs))
    return {
        "description": "PHP strnatcmp($a, $b) (case-sensitive natural order on UTF-8 bytes, the comparison behind "
                       "ksort(..., SORT_NATURAL)); cmp is the sign -1/0/1.",
        "generator": GENERATOR,
        "cases": pairs,
    }


# ============================================================== 3. php_float.json

def float_lexemes():
    L = []

    def add(id_, lex):
        L.append({"id": id_, "json_lexeme": lex})

    hand = ["10.0", "1.5", "0.30000000000000004", "1e21", "1.5e-7", "-0.0", "1.2345678901234567e14",
            "0.0001", "0.00001", "123456789012345.0", "1e14", "1e15", "99999999999999.99", "-1.5", "100.55",
            "9223372036854775808", "-9223372036854775809", "0.1", "0.5", "1.0825", "1e-4", "1e-5", "0.5e-4",
            "0.00005", "0.000099999999999999", "9.999999999999999e-5", "0.00009999999999999", "1e13",
            "99999999999999.0", "99999999999999.4", "99999999999999.5", "12345678901234.0", "12345678901234.5",
            "12345678901235.5", "123456789012.375", "123456789012.385", "1e100", "1.7976931348623157e308",
            "5e-324", "2.2250738585072014e-308", "-1e-10", "3.14159265358979", "2.718281828459045", "1e0",
            "0.0", "100.0", "1E2", "1.25", "0.125", "-123.456", "4.35", "1000000.5"]
    for lex in hand:
        add("float-" + lex.replace("-", "m").replace(".", "p").replace("+", ""), lex)
    # exact ties: exact binary value with exactly 15 significant digits ending in 5
    ties = []
    for m, scale in ((123456789012345, 0), (987654321098765, 0), (100000000000005, 0), (100000000000015, 0), (123456789012305, 0),
                     (120000000000005, 0), (100000000000095, 0), (100000000000025, 0),
                     (123456789012375, 3), (123456789012625, 3), (246913578024695, 1), (111111111111125, 3)):
        d = Decimal(m).scaleb(-scale)
        f = float(d)
        if Decimal(f) == d and len(d.as_tuple().digits) == 15 and d.as_tuple().digits[-1] == 5:
            ties.append(repr(f) if "e" not in repr(f) else format(d, "f"))
    seen = {x["json_lexeme"] for x in L}
    for lex in ties:
        if lex not in seen:
            add("float-tie-" + lex.replace(".", "p"), lex)
            seen.add(lex)
    rng = SplitMix64(0xF10A7)
    for k in range(48):
        exp = rng.below(61) - 30
        ndig = 1 + rng.below(17)
        mant = rng.below(10 ** ndig - 10 ** (ndig - 1)) + 10 ** (ndig - 1)
        x = float("%de%d" % (mant, exp - ndig + 1))
        if rng.below(4) == 0:
            x = -x
        add("float-random-%02d" % k, repr(x))
    return L


def build_floats(results_log):
    cases = float_lexemes()
    check_unique_ids("php_float", cases)
    res = run_oracle([{"op": "float", "lexeme": c["json_lexeme"]} for c in cases])
    out = []
    for c, r in zip(cases, res):
        if r["type"] != "float":
            fail("%s: PHP decodes %s as %s, not float" % (c["id"], c["json_lexeme"], r["type"]))
        mine = php_float_str(float(c["json_lexeme"]))
        if mine != r["php_string"]:
            fail("php_float %s: PHP %r vs Python model %r" % (c["id"], r["php_string"], mine))
        c["php_string"] = r["php_string"]
        out.append(c)
    byl = {c["json_lexeme"]: c["php_string"] for c in out}
    for lex, s in DOC_FLOAT_STRINGS.items():
        if byl.get(lex) != s:
            fail("documented float string %s -> %s not reproduced (%r)" % (lex, s, byl.get(lex)))
    results_log.append("php_float: %d lexemes, PHP == Python model" % len(out))
    return {
        "description": "PHP (string)$float with precision=14 for the double parsed from json_lexeme "
                       "(PHP json_decode typing: every lexeme here decodes to a float).",
        "generator": GENERATOR,
        "cases": out,
    }


# ============================================================== 4. ecommpay_url.json

DEFAULT_PP_BASE = "https://paymentpage.ecommpay.com"


def url_cases():
    S = "secret"
    c = []

    def add(id_, note, params, secret=S, base_url=None):
        case = {"id": id_, "note": note, "secret": secret, "base_url": base_url}
        with_params(case, params)
        c.append(case)

    add("url-docs-example", "docs §2.1 reference URL with interface_type overridden to {\"id\": 99} (published)",
        {"project_id": "12345", "interface_type": "{\"id\": 99}", "payment_id": "X03936", "payment_amount": 3550,
         "payment_currency": "USD", "payment_description": "Guyliner purchase", "customer_first_name": "Jack",
         "customer_last_name": "Sparrow", "customer_phone": "02081234567"})
    add("url-php-test-bw", "the official PHP suite's B&W URL (published)",
        {"project_id": "100", "interface_type": "{\"id\":23}", "payment_id": "test payment id",
         "payment_description": "B&W"})
    add("url-special-chars", "RFC 1738 encoding: only [A-Za-z0-9_.-] kept, space '+', ~ and * escaped",
        {"project_id": 1, "payment_id": "sp-1",
         "payment_description": "~ * ' ( ) ! space + / = & # % \U0001F600 \u00fc \"q\" <t> ;:,?@[]{}|\\^`$"})
    add("url-special-chars-in-key", "keys are encoded the same way",
        {"project_id": 1, "my key~*": "v", "ключ": "значение"})
    add("url-nested-customer", "nested maps in bracket notation, signed as customer:address:city",
        {"project_id": 1, "payment_id": "n-1", "customer": {"first_name": "Ann", "address": {"city": "Riga", "zip": "LV-1010"}}})
    add("url-list", "lists of objects: items%5B0%5D%5Bname%5D=Tea",
        {"project_id": 1, "items": [{"name": "Tea", "qty": 2}, {"name": "Cake", "qty": 1}]})
    add("url-list-12", "12-element list: URL in index order, signature in natural order",
        {"project_id": 1, "tags": ["t%d" % i for i in range(12)]})
    add("url-bools", "booleans are 1/0 in the URL, as in the signature",
        {"project_id": 1, "payment_id": "b-1", "redirect": True, "close_on_missclick": False,
         "options": {"save": True}})
    add("url-null-dropped", "null values are removed at every depth before signing and URL building",
        {"project_id": 1, "payment_id": "null-1", "payment_description": None,
         "customer": {"first_name": "Ann", "phone": None}})
    add("url-null-in-list", "a null list element is removed like PHP unset(): the remaining elements keep "
        "their original indices (list[1]=x, signed as list:1:x)",
        {"project_id": 1, "list": [None, "x", None, "z"]})
    add("url-all-null", "only null values: empty query, URL ends in /payment?signature=...",
        {"payment_description": None})
    add("url-empty-params", "no parameters at all: /payment?signature=...", {})
    add("url-empty-containers", "empty map/list vanish from both URL and signature",
        {"project_id": 1, "a": {}, "b": [], "c": {"d": None}})
    add("url-frame-mode", "frame_mode appears in the URL but is not signed",
        {"project_id": 1, "payment_id": "fm-1", "frame_mode": "popup"})
    add("url-frame-mode-only", "frame_mode only: signature of the empty string",
        {"frame_mode": "iframe"})
    add("url-float", "floats rendered as PHP (string)$float in both URL and signature",
        {"project_id": 1, "a": Num("10.0"), "b": Num("1.5"), "c": Num("0.30000000000000004"), "d": Num("1e21"),
         "e": Num("1.5e-7"), "f": Num("-0.0")})
    add("url-int-large", "large integers are written exactly",
        {"project_id": 1, "big": Num("9007199254740993"), "neg": -17})
    add("url-custom-base-trailing-slash", "custom base_url: trailing slashes stripped before /payment",
        dict(MINIMAL), base_url="https://pay.example.test/checkout//")
    add("url-custom-base-no-slash", "custom base_url without trailing slash",
        dict(MINIMAL), base_url="http://127.0.0.1:8080")
    add("url-unicode", "UTF-8 values percent-encoded byte by byte",
        {"project_id": 1, "payment_description": "Покупка чая 茶", "customer_first_name": "Zoë"})
    add("url-typical10", "realistic 10-parameter purchase", typical10())
    add("url-non-ascii-secret", "non-ASCII secret", dict(MINIMAL), secret="sécret-ключ")
    return c


PUBLISHED_URLS = {
    "url-docs-example": "https://paymentpage.ecommpay.com/payment?project_id=12345&interface_type=%7B%22id%22%3A+99%7D&payment_id=X03936&payment_amount=3550&payment_currency=USD&payment_description=Guyliner+purchase&customer_first_name=Jack&customer_last_name=Sparrow&customer_phone=02081234567&signature=ztdWnqSelVXfemnVKG5mwmeGsUAWyHGrmHgH1iAXvT38eamaYZVS80lIApgjAn%2FxR5R1FTAtNelszWOhFOZQUw%3D%3D",
    "url-php-test-bw": "https://paymentpage.ecommpay.com/payment?project_id=100&interface_type=%7B%22id%22%3A23%7D&payment_id=test+payment+id&payment_description=B%26W&signature=97JFQpAyJ4HPfGVedJh0M1MqQDOFt%2FMCbdh8VrsT7DdRyTBDAF2mvUOsDANx1ZPfbvZg0%2BVUbF43xJnq0jEeLA%3D%3D",
}


def py_drop_nulls(t):
    if isinstance(t, dict):
        return {k: py_drop_nulls(v) for k, v in t.items() if v is not None}
    if isinstance(t, list):
        # like PHP unset(): remaining list elements keep their original indices
        return {str(i): py_drop_nulls(v) for i, v in enumerate(t) if v is not None}
    return t


def py_query(tree):
    pairs = []

    def walk(t, name):
        items = t.items() if isinstance(t, dict) else ((str(i), v) for i, v in enumerate(t))
        for k, v in items:
            key = php_urlencode(k) if name is None else name + "%5B" + php_urlencode(k) + "%5D"
            if isinstance(v, (dict, list)):
                walk(v, key)
            else:
                pairs.append(key + "=" + php_urlencode(scalar_text(v)))
    walk(tree, None)
    return "&".join(pairs)


def build_url(results_log):
    cases = url_cases()
    check_unique_ids("ecommpay_url", cases)
    res = run_oracle([{"op": "url", "params_json": c["params_json"], "secret": c["secret"], "base_url": c["base_url"]}
                      for c in cases])
    out = []
    for c, r in zip(cases, res):
        tree = py_drop_nulls(php_json_loads(c["params_json"]))
        msg = doc_string_to_sign(tree)
        sig = hmac_b64(c["secret"], msg)
        q = py_query(tree)
        base = DEFAULT_PP_BASE if c["base_url"] is None else c["base_url"].rstrip("/")
        url = base + "/payment?" + (q + "&" if q else "") + "signature=" + php_urlencode(sig)
        if (msg, sig, url) != (r["string_to_sign"], r["signature"], r["url"]):
            fail("url %s: PHP and Python model disagree:\n PHP %r\n py  %r" % (c["id"], r["url"], url))
        c["string_to_sign"] = r["string_to_sign"]
        c["signature"] = r["signature"]
        c["url"] = r["url"]
        out.append(c)
    byid = {c["id"]: c for c in out}
    for cid, u in PUBLISHED_URLS.items():
        if byid[cid]["url"] != u:
            fail("%s: published URL NOT reproduced: %s" % (cid, byid[cid]["url"]))
        results_log.append("reproduced published %s" % cid)
    if "frame_mode=popup" not in byid["url-frame-mode"]["url"] or "frame_mode" in byid["url-frame-mode"]["string_to_sign"]:
        fail("frame_mode URL semantics")
    if not byid["url-empty-params"]["url"].startswith(DEFAULT_PP_BASE + "/payment?signature="):
        fail("empty query URL form")
    return {
        "description": "ecommpay Payment Page URL (docs §2, polypay semantics): null values removed at every depth "
                       "before signing and URL building; url = base (trailing '/' stripped, default "
                       "https://paymentpage.ecommpay.com) + '/payment?' + http_build_query (insertion order, "
                       "RFC 1738, brackets, bools 1/0, floats as PHP (string)) + '&signature=' + urlencode(signature). "
                       "string_to_sign/signature are given for diagnosis.",
        "generator": GENERATOR,
        "cases": out,
    }


# ============================================================== 5. ecommpay_callback.json

SIG_PLACEHOLDER = "@@SIGNATURE@@"


def cb_success_data(sig=SIG_PLACEHOLDER):
    return {
        "project_id": 21075,
        "payment": {"id": "INV-2025-004417", "type": "purchase", "status": "success",
                    "date": "2025-03-02T18:44:09+0000", "method": "card",
                    "sum": {"amount": 48900, "currency": "GBP"}, "description": "Subscription: 3 months / Pro"},
        "account": {"number": "531234******4321", "token": "c0ffee12ab", "type": "mastercard",
                    "card_holder": "ALEX SMITH", "expiry_month": "11", "expiry_year": "2028"},
        "customer": {"id": "usr-55913"},
        "operation": {"id": 77000000004417, "type": "sale", "status": "success",
                      "date": "2025-03-02T18:44:09+0000", "created_date": "2025-03-02T18:43:51+0000",
                      "request_id": "5e0c1d2a9b8f4e3d-00002",
                      "sum_initial": {"amount": 48900, "currency": "GBP"},
                      "sum_converted": {"amount": 48900, "currency": "GBP"},
                      "code": "0", "message": "Success", "eci": "02",
                      "provider": {"id": 311, "payment_id": "88120455931", "auth_code": "A1B2C3",
                                   "endpoint_id": 311, "date": "2025-03-02T18:44:08+0000"}},
        "signature": sig,
    }


def reorder(d):
    """Recursively reverse key order (same data, different text)."""
    if isinstance(d, dict):
        return {k: reorder(d[k]) for k in reversed(list(d.keys()))}
    if isinstance(d, list):
        return [reorder(x) for x in d]
    return d


def nest(depth, leaf):
    """`depth` nested objects {"d": {"d": ... leaf}}."""
    v = leaf
    for _ in range(depth):
        v = {"d": v}
    return v


def callback_templates():
    """(id, note, secret_for_signing, secret_for_verifying, body_template, post) where the body template
    contains SIG_PLACEHOLDER for the signature produced over that template; post(body, sig) may tamper."""
    T = []

    def add(id_, note, body, secret="secret", verify_secret=None, post=None, slash_escaped=False):
        T.append(dict(id=id_, note=note, body=body, secret=secret, verify_secret=verify_secret or secret,
                      post=post, slash_escaped=slash_escaped))

    base = cb_success_data()
    add("cb-success", "Payment Page purchase callback, top-level signature, compact JSON", compact(base))
    gate = {
        "general": {"project_id": 21075, "payment_id": "G-1009", "signature": SIG_PLACEHOLDER},
        "payment": {"method": "card", "date": "2025-03-03T09:10:11+0000", "result_code": "0",
                    "result_message": "Success", "status": "success", "is_new_attempts_available": False,
                    "provider_id": 311},
        "transaction": {"id": 9081726354, "date": "2025-03-03T09:10:11+0000", "type": "sale"},
        "sum_request": {"amount": 1250, "currency": "USD"},
        "sum_real": {"amount": 1250, "currency": "USD"},
        "rrn": "507211223344",
        "return_url": "https://shop.example.test/return?id=G-1009",
        "operations": [{"id": 1, "type": "sale", "status": "success"}],
    }
    add("cb-general-signature", "Gate format: signature in general.signature", compact(gate))
    add("cb-reordered-keys", "same data as cb-success with every object's keys reversed: still valid",
        compact(reorder(base)))
    add("cb-pretty-printed", "pretty-printed, \\u escapes for non-ASCII, escaped slashes: still valid",
        dumps(dict(base, payment=dict(base["payment"], description="Café / Ünïcödé ✓")), indent=4,
              ensure_ascii=True, escape_slashes=True), slash_escaped=True)
    add("cb-tampered-amount", "payment.sum.amount changed after signing", compact(base),
        post=lambda b: b.replace('"sum":{"amount":48900', '"sum":{"amount":48901', 1))
    add("cb-tampered-status", "payment.status changed decline->success after signing",
        compact(dict(base, payment=dict(base["payment"], status="decline"))),
        post=lambda b: b.replace('"status":"decline"', '"status":"success"', 1))
    add("cb-added-field", "top-level field added after signing", compact(base),
        post=lambda b: b[:-1] + ',"injected":"1"}')
    add("cb-added-nested-field", "nested field added after signing", compact(base),
        post=lambda b: b.replace('"customer":{"id":"usr-55913"}', '"customer":{"id":"usr-55913","vip":true}', 1))
    add("cb-removed-field", "a field removed after signing", compact(base),
        post=lambda b: b.replace('"eci":"02",', "", 1))
    add("cb-wrong-secret", "signed with another secret", compact(base), secret="secret", verify_secret="secret2")
    no_sig = {k: v for k, v in base.items() if k != "signature"}
    add("cb-missing-signature", "no signature anywhere", compact(no_sig))
    add("cb-empty-signature", "signature is an empty string", compact(dict(base, signature="")))
    add("cb-zero-signature", "signature is the string \"0\" (falsy in PHP)", compact(dict(base, signature="0")))
    add("cb-numeric-signature", "signature is a JSON number", compact(dict(base, signature=12345)))
    add("cb-bool-signature", "signature is JSON true", compact(dict(base, signature=True)))
    add("cb-object-signature", "signature is an object", compact(dict(base, signature={"v": "x"})))
    add("cb-null-signature", "top-level signature null and no general.signature: missing",
        compact(dict(base, signature=None)))
    add("cb-null-signature-general-fallback", "top-level signature null falls back to general.signature: valid",
        compact({"signature": None, "general": {"project_id": 5, "signature": SIG_PLACEHOLDER},
                 "payment": {"id": "p-null-fallback", "status": "success"}}))
    add("cb-top-level-wins-over-general", "both present: the top-level one is used (general.signature is "
        "removed before signing like every 'signature' key)",
        compact({"general": {"project_id": 5, "signature": "not-the-signature"},
                 "payment": {"id": "p-both", "status": "success"}, "signature": SIG_PLACEHOLDER}))
    add("cb-signature-with-newline", "correct signature followed by \\n: mismatch", compact(base),
        post=lambda b: b.replace('==","', '==\\n","', 1) if '==","' in b else b.replace('=="}', '==\\n"}', 1))
    add("cb-invalid-json", "truncated JSON", compact(base)[:-7])
    add("cb-empty-body", "empty body", "")
    add("cb-body-array", "body [] is not an object", "[]")
    add("cb-body-null", "body null", "null")
    add("cb-body-string", "body is a JSON string", "\"signature\"")
    add("cb-body-number", "body is a JSON number", "42")
    add("cb-empty-object", "{}: valid JSON object without signature", "{}")
    add("cb-garbage", "form-encoded garbage instead of JSON", "payment_id=1&signature=abc%3D%3D&status=success")
    add("cb-garbage-control-bytes", "control characters and junk", "\u0001\u0002{garbage}\u0000")
    add("cb-utf8-bom", "UTF-8 BOM before the JSON (PHP json_decode rejects it)", compact(base),
        post=lambda b: "\ufeff" + b)
    add("cb-surrounding-whitespace", "JSON surrounded by whitespace and a trailing newline: valid",
        " \r\n\t" + compact(base) + "\n")
    add("cb-trailing-garbage", "valid JSON followed by garbage", compact(base), post=lambda b: b + "x")
    add("cb-with-null", "null values inside (signed as empty strings): valid",
        compact(dict(base, customer={"id": "usr-55913", "phone": None}, recurring=None)))
    add("cb-errors-array", "tokenize callback with an errors array (list of objects): valid",
        compact({"general": {"project_id": 21075, "signature": SIG_PLACEHOLDER},
                 "request": {"action": "tokenize", "id": "req-77", "status": "decline",
                             "errors": [{"code": "1401", "message": "Invalid card number", "field": "card.pan"},
                                        {"code": "1402", "message": "Invalid expiry", "field": "card.year"}]},
                 "customer": {"id": "usr-1"}}))
    add("cb-with-12-operations", "12-element operations list (natural index order): valid",
        compact({"project_id": 21075, "payment": {"id": "ops-12", "status": "success"},
                 "operations": [{"id": 1000 + i, "type": "sale" if i % 2 == 0 else "refund",
                                 "status": "success"} for i in range(12)],
                 "signature": SIG_PLACEHOLDER}))
    add("cb-with-float", "floats signed PHP-style (10.0 -> 10, 1.0825): valid",
        compact({"project_id": 21075, "payment": {"id": "fl-1", "status": "success",
                                                  "sum": {"amount": Num("10.0"), "currency": "EUR"}},
                 "operation": {"rate": Num("1.0825"), "fee": Num("0.30000000000000004"), "tiny": Num("1.5e-7")},
                 "signature": SIG_PLACEHOLDER}))
    add("cb-nested-signature-key", "a 'signature' key nested in an object is removed before signing: valid",
        compact({"project_id": 21075, "payment": {"id": "ns-1", "status": "success"},
                 "provider": {"name": "acq", "signature": "provider-own-signature"},
                 "signature": SIG_PLACEHOLDER}))
    add("cb-signature-in-list-element", "'signature' keys inside objects within a list are removed too: valid",
        compact({"project_id": 21075, "payment": {"id": "ns-2", "status": "success"},
                 "operations": [{"id": 1, "signature": "op-sig-1"}, {"id": 2, "data": {"signature": "deep"}}],
                 "signature": SIG_PLACEHOLDER}))
    add("cb-signature-under-body", "signature only under an arbitrary key 'body': not found -> missing",
        compact({"project_id": 21075, "body": {"payment": {"id": "b-1", "status": "success"},
                                                "signature": SIG_PLACEHOLDER}}))
    add("cb-unicode", "non-ASCII values and keys (raw UTF-8): valid",
        compact({"project_id": 21075, "payment": {"id": "ю-1", "status": "success", "description": "Чай 茶 😀"},
                 "customer": {"имя": "Алёна", "city": "Zürich"}, "signature": SIG_PLACEHOLDER}))
    add("cb-amount-as-string", "amount sent as the string \"48900\" instead of a number: same string to sign, valid",
        compact(base), post=lambda b: b.replace('"sum":{"amount":48900', '"sum":{"amount":"48900"', 1))
    add("cb-bool-as-int", "true sent as 1: same string to sign, valid",
        compact({"project_id": 21075, "payment": {"id": "bi-1", "status": "success", "is_test": True},
                 "signature": SIG_PLACEHOLDER}),
        post=lambda b: b.replace('"is_test":true', '"is_test":1', 1))
    add("cb-duplicate-keys", "duplicate key: the last value wins at the first key's position (PHP json_decode)",
        compact({"project_id": 21075, "payment": {"id": "dup-1", "status": "success", "sum": {"amount": 100}},
                 "signature": SIG_PLACEHOLDER}),
        post=lambda b: b.replace('"payment":{"id":"dup-1","status":"success"',
                                 '"payment":{"id":"dup-1","status":"decline","sum":{"amount":1},"status":"success"', 1))
    add("cb-duplicate-signature-key", "two top-level signature keys: the last one is used",
        compact({"project_id": 21075, "payment": {"id": "dup-2", "status": "success"}, "signature": SIG_PLACEHOLDER}),
        post=lambda b: b.replace('{"project_id"', '{"signature":"bogus","project_id"', 1))
    add("cb-big-integers", "ints beyond 2^53 exact; beyond i64 PHP makes a float (9.2233720368548E+18): valid",
        compact({"project_id": 21075, "payment": {"id": "big-1", "status": "success"},
                 "operation": {"id": Num("9007199254740993"), "ref": Num("9223372036854775808"),
                               "neg": Num("-9223372036854775808")},
                 "signature": SIG_PLACEHOLDER}))
    add("cb-payment-id-int", "payment.id as a number: payment_id getter returns its decimal text",
        compact({"project_id": 21075, "payment": {"id": 1234567, "status": "decline"}, "signature": SIG_PLACEHOLDER}))
    add("cb-nesting-64", "64 nested containers (top-level object included): accepted and valid",
        compact({"payment": {"id": "deep-64", "status": "success"}, "x": nest(63, "leaf"),
                 "signature": SIG_PLACEHOLDER}))
    add("cb-nesting-65", "65 nested containers: rejected as invalid_input",
        compact({"payment": {"id": "deep-65", "status": "success"}, "x": nest(64, "leaf"),
                 "signature": SIG_PLACEHOLDER}))
    add("cb-nesting-65-lists", "65 nested containers built from lists: invalid_input",
        compact({"signature": SIG_PLACEHOLDER, "x": json.loads("[" * 64 + "1" + "]" * 64)}))
    return T


def container_depth(v):
    if isinstance(v, dict):
        return 1 + max((container_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((container_depth(x) for x in v), default=0)
    return 0


def py_strip_signature(v):
    if isinstance(v, dict):
        return {k: py_strip_signature(x) for k, x in v.items() if k != "signature"}
    if isinstance(v, list):
        return [py_strip_signature(x) for x in v]
    return v


def py_callback(body, secret):
    """Independent model of the polypay callback rules (see README)."""
    try:
        data = php_json_loads(body)
    except (ValueError, RecursionError):
        return dict(error="invalid_input", string_to_sign=None, expected=None)
    if not isinstance(data, dict) or container_depth(data) > 64:
        return dict(error="invalid_input", string_to_sign=None, expected=None)
    if data.get("signature") is not None:
        sig = data["signature"]
    elif isinstance(data.get("general"), dict) and "signature" in data["general"]:
        sig = data["general"]["signature"]
    else:
        sig = None
    msg = doc_string_to_sign(py_strip_signature(data))
    exp = hmac_b64(secret, msg)
    if not isinstance(sig, str) or sig in ("", "0"):
        return dict(error="signature", string_to_sign=msg, expected=exp)
    return dict(error=None if hmac.compare_digest(sig.encode(), exp.encode()) else "signature",
                string_to_sign=msg, expected=exp)


def build_callback(results_log):
    T = callback_templates()
    check_unique_ids("ecommpay_callback", T)
    # round 1: signature over each template (signature keys are stripped, so the placeholder is irrelevant)
    r1 = run_oracle([{"op": "callback", "body": t["body"], "secret": t["secret"]} for t in T])
    bodies = []
    for t, r in zip(T, r1):
        body = t["body"]
        if SIG_PLACEHOLDER in body:
            sig = r["expected_signature"]
            if not sig:
                # PHP cannot decode it (too deep): the body will be rejected as invalid_input anyway;
                # insert the signature of the Python model so the body looks realistic.
                if not r["too_deep"]:
                    fail("%s: template not signable" % t["id"])
                sig = hmac_b64(t["secret"], doc_string_to_sign(py_strip_signature(php_json_loads(body))))
            body = body.replace(SIG_PLACEHOLDER, sig.replace("/", "\\/") if t["slash_escaped"] else sig)
        if t["post"]:
            nb = t["post"](body)
            if nb == body:
                fail("%s: tampering did not change the body" % t["id"])
            body = nb
        bodies.append(body)
    # round 2: verify the final bodies
    r2 = run_oracle([{"op": "callback", "body": b, "secret": t["verify_secret"]} for t, b in zip(T, bodies)])
    out = []
    for t, body, r in zip(T, bodies, r2):
        if not r["decodable"] or not r["is_object"]:
            error = "invalid_input"
        else:
            f = r["signature_found"]
            if f["kind"] != "string" or f["text"] in ("", "0"):
                error = "signature"
            elif hmac.compare_digest(f["text"].encode(), r["expected_signature"].encode()):
                error = None
            else:
                error = "signature"
        ok = r["decodable"] and r["is_object"]
        case = {
            "id": t["id"], "note": t["note"], "secret": t["verify_secret"], "body": body,
            "valid": error is None, "error": error,
            "string_to_sign": r["string_to_sign"] if ok else None,
            "expected_signature": r["expected_signature"] if ok else None,
            "payment_id": r["payment_id"] if ok else None,
            "payment_status": r["payment_status"] if ok else None,
        }
        mine = py_callback(body, t["verify_secret"])
        if (mine["error"], mine["string_to_sign"], mine["expected"]) != (error, case["string_to_sign"], case["expected_signature"]):
            fail("callback %s: PHP/Python disagree: PHP %r / %r, py %r / %r" % (
                t["id"], error, case["string_to_sign"], mine["error"], mine["string_to_sign"]))
        out.append(case)
    want = {"cb-success": None, "cb-general-signature": None, "cb-reordered-keys": None, "cb-pretty-printed": None,
            "cb-tampered-amount": "signature", "cb-tampered-status": "signature", "cb-added-field": "signature",
            "cb-added-nested-field": "signature", "cb-removed-field": "signature", "cb-wrong-secret": "signature",
            "cb-missing-signature": "signature", "cb-empty-signature": "signature", "cb-zero-signature": "signature",
            "cb-numeric-signature": "signature", "cb-invalid-json": "invalid_input", "cb-empty-body": "invalid_input",
            "cb-body-array": "invalid_input", "cb-body-null": "invalid_input", "cb-garbage": "invalid_input",
            "cb-with-null": None, "cb-errors-array": None, "cb-with-12-operations": None, "cb-with-float": None,
            "cb-nested-signature-key": None, "cb-signature-in-list-element": None,
            "cb-signature-under-body": "signature", "cb-unicode": None, "cb-amount-as-string": None,
            "cb-duplicate-keys": None, "cb-nesting-64": None, "cb-nesting-65": "invalid_input",
            "cb-nesting-65-lists": "invalid_input", "cb-utf8-bom": "invalid_input",
            "cb-null-signature-general-fallback": None, "cb-top-level-wins-over-general": None,
            "cb-duplicate-signature-key": None, "cb-big-integers": None, "cb-bool-as-int": None}
    byid = {c["id"]: c for c in out}
    for cid, depth in (("cb-nesting-64", 64), ("cb-nesting-65", 65), ("cb-nesting-65-lists", 65)):
        if container_depth(json.loads(byid[cid]["body"])) != depth:
            fail("%s: nesting depth is not %d" % (cid, depth))
    for k, v in want.items():
        if byid[k]["error"] != v:
            fail("callback %s: expected error %r, got %r" % (k, v, byid[k]["error"]))
    if byid["cb-success"]["string_to_sign"] != byid["cb-reordered-keys"]["string_to_sign"]:
        fail("reordered keys must sign alike")
    if "operation:fee:0.3;" not in byid["cb-with-float"]["string_to_sign"] or \
            "payment:sum:amount:10;" not in byid["cb-with-float"]["string_to_sign"]:
        fail("float rendering in callbacks")
    if "operation:ref:9.2233720368548E+18" not in byid["cb-big-integers"]["string_to_sign"]:
        fail("beyond-i64 rendering in callbacks")
    if "payment:status:success" not in byid["cb-duplicate-keys"]["string_to_sign"]:
        fail("duplicate keys")
    results_log.append("callbacks: %d cases, PHP == Python model" % len(out))
    return {
        "description": "ecommpay callback verification (docs §3, polypay rules; see README): body is the exact raw "
                       "text; valid/error are the expected verdict; string_to_sign/expected_signature are PHP's "
                       "signature of the decoded body with every 'signature' key removed (null when the body is "
                       "rejected as invalid_input); payment_id is payment.id, else general.payment_id (Gate format); payment_status is payment.status.",
        "generator": GENERATOR,
        "cases": out,
    }


# ============================================================== 6. paycore_signature.json

PAYCORE_DOC_SECRET = "sk_test_EXAMPLEKEY"
PAYCORE_DOC_BODY = ('{"data":{"type":"payment-invoices","id":"cpi_TEST123","attributes":{"status":"processed",'
                    '"resolution":"ok","reference_id":"order-1","amount":100,"currency":"USD","test_mode":true}}}')
PAYCORE_DOC_SIG = "R7a2MuC2EwiC2MPFd+8JNv0z9jw="
PAYCORE_DOC_HEX = "47b6b632e0b6130882d8c3c577ef0936fd33f63c"
PAYCORE_DOC_EMPTY_SIG = "J1JYUuEJGY/kxpIK2LIdpzOxO1k="


def paycore_digest(secret, body_bytes):
    return hashlib.sha1(secret.encode("utf-8") + body_bytes + secret.encode("utf-8")).digest()


def paycore_sig(secret, body_bytes):
    return b64(paycore_digest(secret, body_bytes))


B64_STRICT = re.compile(r"[A-Za-z0-9+/]{27}=")


def paycore_verify(secret, body_bytes, sig):
    """Reference rules for the 'verify' lists (see README)."""
    if len(sig) == 40 and re.fullmatch(r"[0-9a-fA-F]{40}", sig):
        return "hex_signature"
    if len(sig) != 28:
        return "wrong_length"
    if not B64_STRICT.fullmatch(sig):
        return "not_base64"
    raw = base64.b64decode(sig, validate=True)
    if b64(raw) != sig:
        return "not_base64"            # non-canonical trailing bits
    return None if hmac.compare_digest(raw, paycore_digest(secret, body_bytes)) else "mismatch"


def deterministic_json_body(n_bytes, seed):
    """A JSON body of exactly n_bytes, PHP-style, deterministic."""
    rng = SplitMix64(seed)
    items = []
    head = '{"data":{"type":"payment-invoices","id":"cpi_BIG%06d","attributes":{"status":"processed","metadata":{' % seed
    tail = '}}}}'
    body = head
    k = 0
    while True:
        val = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[rng.below(36)] for _ in range(24))
        piece = ('' if k == 0 else ',') + '"k%05d":"%s"' % (k, val)
        if n_bytes - (len(body) + len(piece) + len(tail)) < 60:
            break
        body += piece
        k += 1
    r = n_bytes - len(body) - len(tail)
    body += (',' if k else '') + '"p":"' + "x" * (r - (7 if k else 6)) + '"'
    body += tail
    if len(body.encode()) != n_bytes:
        fail("deterministic body length %d != %d" % (len(body), n_bytes))
    json.loads(body)
    return body


def build_paycore_signature(results_log):
    S = PAYCORE_DOC_SECRET
    cases = []

    def add(id_, note, secret, body=None, body_bytes=None, extra_verify=()):
        if body_bytes is None:
            body_bytes = body.encode("utf-8")
        sig = paycore_sig(secret, body_bytes)
        case = {"id": id_, "note": note, "secret": secret}
        try:
            case["body"] = body_bytes.decode("utf-8")
        except UnicodeDecodeError:
            case["body_base64"] = b64(body_bytes)
        case["signature"] = sig
        hexd = paycore_digest(secret, body_bytes).hex()
        verify = [sig, hexd, sig[:27], sig[:20]] + list(extra_verify)
        ver = []
        for s in verify:
            err = paycore_verify(secret, body_bytes, s)
            ver.append({"signature": s, "valid": err is None, "error": err})
        case["verify"] = ver
        cases.append(case)
        return case

    doc = add("pc-sig-docs-example", "docs §5 self-computed vector", S, PAYCORE_DOC_BODY)
    if doc["signature"] != PAYCORE_DOC_SIG:
        fail("paycore docs vector NOT reproduced: " + doc["signature"])
    if paycore_digest(S, PAYCORE_DOC_BODY.encode()).hex() != PAYCORE_DOC_HEX:
        fail("paycore docs hex digest NOT reproduced")
    results_log.append("reproduced published paycore signature + hex form")
    empty = add("pc-sig-empty-body", "docs §5: empty body with the same secret", S, "")
    if empty["signature"] != PAYCORE_DOC_EMPTY_SIG:
        fail("paycore empty-body vector NOT reproduced: " + empty["signature"])
    results_log.append("reproduced published paycore empty-body signature")
    other = paycore_sig("sk_test_OTHER", PAYCORE_DOC_BODY.encode())
    doc["verify"].extend([
        {"signature": other, "valid": False, "error": paycore_verify(S, PAYCORE_DOC_BODY.encode(), other)},
        {"signature": PAYCORE_DOC_SIG.replace("+", "-"), "valid": False, "error": "not_base64"},
        {"signature": PAYCORE_DOC_SIG[:-1] + "A", "valid": False,
         "error": paycore_verify(S, PAYCORE_DOC_BODY.encode(), PAYCORE_DOC_SIG[:-1] + "A")},
        {"signature": "R7a2MuC2EwiC2MPFd+8JNv0z9jx=", "valid": False,
         "error": paycore_verify(S, PAYCORE_DOC_BODY.encode(), "R7a2MuC2EwiC2MPFd+8JNv0z9jx=")},
        {"signature": "!!!!!!!!!!!!!!!!!!!!!!!!!!!=", "valid": False, "error": "not_base64"},
        {"signature": PAYCORE_DOC_SIG + " ", "valid": False, "error": "wrong_length"},
        {"signature": "", "valid": False, "error": "wrong_length"},
        {"signature": PAYCORE_DOC_HEX.upper(), "valid": False, "error": "hex_signature"},
    ])
    for v in doc["verify"]:
        got = paycore_verify(S, PAYCORE_DOC_BODY.encode(), v["signature"])
        if got != v["error"] or (got is None) != v["valid"]:
            fail("paycore verify rule mismatch for %r: %r" % (v["signature"], got))
    escaped = ('{"data":{"type":"payment-invoices","id":"cpi_ESC1","attributes":{"status":"processed",'
               '"return_url":"https:\\/\\/shop.example.test\\/return?o=1","description":"\\u0422\\u0435\\u0441\\u0442"}}}')
    add("pc-sig-escaped-slashes", "PHP-style escaped slashes and \\u escapes: hash the exact bytes", S, escaped)
    unescaped = escaped.replace("\\/", "/")
    add("pc-sig-unescaped-slashes", "same document with '/' unescaped: different signature", S, unescaped)
    add("pc-sig-non-utf8", "non-UTF-8 bytes (Latin-1 é, lone 0xFF) are hashed as-is", S,
        body_bytes=b'{"data":{"id":"cpi_BIN","attributes":{"description":"caf\xe9 \xff\xfe"}}}')
    add("pc-sig-1kb", "deterministic 1 KiB body", S, deterministic_json_body(1024, 1))
    add("pc-sig-64kb", "deterministic 64 KiB body", "sk_live_" + "Z" * 40, deterministic_json_body(65536, 2))
    add("pc-sig-trailing-newline", "doc body plus a trailing newline: different from pc-sig-docs-example",
        S, PAYCORE_DOC_BODY + "\n")
    tampered = PAYCORE_DOC_BODY.replace('"amount":100', '"amount":101')
    add("pc-sig-tampered-byte", "doc body with one byte changed (amount 100 -> 101)", S, tampered,
        extra_verify=[PAYCORE_DOC_SIG])
    pretty = json.dumps(json.loads(PAYCORE_DOC_BODY), indent=4)
    add("pc-sig-pretty-printed", "doc body pretty-printed: different bytes, different signature", S, pretty,
        extra_verify=[PAYCORE_DOC_SIG])
    add("pc-sig-unicode-raw", "raw UTF-8 body", S,
        '{"data":{"type":"payment-invoices","id":"cpi_U1","attributes":{"description":"Оплата 😀"}}}')
    add("pc-sig-live-key", "live secret key", "sk_live_9f8e7d6c5b4a", PAYCORE_DOC_BODY)
    add("pc-sig-non-ascii-secret", "secret bytes are UTF-8", "sk_test_ключ", PAYCORE_DOC_BODY)
    sigs = {c["id"]: c["signature"] for c in cases}
    for a, b in (("pc-sig-docs-example", "pc-sig-trailing-newline"), ("pc-sig-docs-example", "pc-sig-pretty-printed"),
                 ("pc-sig-escaped-slashes", "pc-sig-unescaped-slashes"), ("pc-sig-docs-example", "pc-sig-tampered-byte")):
        if sigs[a] == sigs[b]:
            fail("paycore %s and %s should differ" % (a, b))
    for c in cases:
        for v in c["verify"]:
            if v["signature"] == c["signature"] and not v["valid"]:
                fail("own signature must verify")
    kinds = {v["error"] for c in cases for v in c["verify"]}
    if not {"mismatch", "hex_signature", "wrong_length", "not_base64", None} <= kinds:
        fail("paycore verify error kinds missing: %r" % kinds)
    check_unique_ids("paycore_signature", cases)
    secret_errors = [
        {"secret": "", "error": "empty_secret"},
        {"secret": " sk_test_x", "error": "whitespace_secret"},
        {"secret": "sk_test_x\n", "error": "whitespace_secret"},
        {"secret": "\tsk_live_x", "error": "whitespace_secret"},
        {"secret": "sk_test_x\r\n", "error": "whitespace_secret"},
        {"secret": "pk_test_abc", "error": "public_key"},
        {"secret": "pk_live_abc", "error": "public_key"},
    ]
    return {
        "description": "PayCore/Corefy/Paymega callback signature (docs/paycore-api.md §5): "
                       "X-Signature = base64(sha1(secret || raw_body || secret)). body is the UTF-8 text of the raw "
                       "body, or body_base64 for bytes that are not UTF-8. verify lists header values and the "
                       "expected verdict (rules in README). secret_errors: secrets rejected at configuration time.",
        "generator": GENERATOR,
        "cases": cases,
        "secret_errors": secret_errors,
    }


# ============================================================== 7. paycore_callback.json

PAYMENT_STATUS = {  # status -> (is_final, is_success); docs/paycore-api.md §4.1
    "created": (False, False), "expired": (True, False), "terminated": (True, False),
    "processing": (False, False), "process_pending": (False, False), "processed": (True, True),
    "partially_processed": (False, False), "process_error": (False, False), "process_failed": (True, False),
    "refunding": (False, False), "refund_pending": (False, False), "partially_refunded": (True, False),
    "refunded": (True, False), "refund_error": (False, False), "refund_failed": (True, False),
    "charged_back": (True, False), "partially_charged_back": (True, False),
}
PAYOUT_STATUS = {  # docs/paycore-api.md §4.2
    "created": (False, False), "expired": (True, False), "terminated": (True, False),
    "processing": (False, False), "process_pending": (False, False), "processed": (True, True),
    "partially_processed": (False, False), "process_error": (False, False), "process_failed": (True, False),
    "canceling": (False, False), "cancel_pending": (False, False), "partially_canceled": (True, False),
    "canceled": (True, False), "cancel_error": (False, False), "cancel_failed": (True, False),
}


def php_json(v, pretty=False):
    """PHP json_encode default style: escaped slashes and \\u escapes (optionally pretty, 4 spaces)."""
    return dumps(v, indent=4 if pretty else None, ensure_ascii=True, escape_slashes=True)


def invoice_doc(status="processed", resolution="ok", amount=Num("100.55"), currency="USD", ref="order-2001",
                inv_id="cpi_Qx7Lm2Np9Rs4Tv6W", test_mode=True, extra_attrs=None, empty_objects=True):
    attrs = {
        "serial_number": inv_id[4:], "status": status, "resolution": resolution, "moderation_required": False,
        "amount": amount, "payment_amount": amount, "currency": currency, "service_currency": currency,
        "reference_id": ref, "test_mode": test_mode, "fee": 0, "deposit": amount, "processed": 1717243205,
        "processed_amount": amount if status == "processed" else None, "refunded_amount": None,
        "metadata": [] if empty_objects else {"order": "2001"},
        "flow_data": {"action": "https://cardgate-staging.psp.name/hpp/cgi_7hQ2", "method": "GET", "params": [],
                      "metadata": {"sid": "cgi_7hQ2"}},
        "flow": "hpp", "payment_flow": "charge", "created": 1717243098, "updated": 1717243207,
        "payload": [] if empty_objects else {"token": None},
        "description": "Order #2001", "descriptor": None, "callback_url": "https://shop.example.test/paycore/callback",
        "return_url": "https://shop.example.test/return", "source": "merchant_api",
        "callback_logs": [] if empty_objects else {"1717243098": {"status": "done", "response_code": 200}},
    }
    if extra_attrs:
        attrs.update(extra_attrs)
    return {"data": {"type": "payment-invoices", "id": inv_id, "attributes": attrs,
                     "relationships": [] if empty_objects else {
                         "payment-service": {"data": {"type": "payment-services", "id": "payment_card_usd_hpp"}}},
                     "links": {"self": "/api/payment-invoices/" + inv_id}}}


def payout_doc(status, resolution="OK", amount=Num("250"), currency="UAH", ref="payout-77", inv_id="cpoi_Kd83JsLq0Pz1"):
    return {"data": {"type": "payout-invoices", "id": inv_id,
                     "attributes": {"serial_number": inv_id[5:], "status": status, "resolution": resolution,
                                    "amount": amount, "currency": currency, "reference_id": ref, "test_mode": False,
                                    "service": "payment_card_uah", "fee": 0, "created": 1717300000,
                                    "updated": 1717300100, "metadata": [], "callback_url": None,
                                    "payouts": [{"id": "po_a1", "rrn": "4001", "amount": amount,
                                                 "currency": currency, "status": status.upper()}]},
                     "relationships": [], "links": {"self": "/api/payout-invoices/" + inv_id}}}


def norm_amount(v):
    if v is None:
        return None
    d = Decimal(v) if isinstance(v, (str, Decimal)) else Decimal(str(v))
    if not d.is_finite():
        return None
    s = format(d.normalize(), "f")
    return "0" if s in ("-0", "0") else s


def paycore_extract(body_bytes):
    """Parse a PayCore callback body into the 'expected' record, or raise ValueError (invalid_input)."""
    try:
        data = json.loads(body_bytes.decode("utf-8"), parse_float=Decimal, parse_int=Decimal,
                          parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError("not JSON: %s" % e)
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        raise ValueError("no data object")
    d = data["data"]
    if not isinstance(d.get("type"), str):
        raise ValueError("no type")
    if not isinstance(d.get("id"), str) or not d["id"]:
        raise ValueError("no id")
    if d["type"] not in ("payment-invoices", "payout-invoices"):
        # A resource type polypay does not model yet is kept (forward compatibility), never
        # final or successful; only type, id and status are read.
        a = d.get("attributes") if isinstance(d.get("attributes"), dict) else {}
        st = a.get("status")
        return {"type": d["type"], "id": d["id"], "status": st if isinstance(st, str) else None,
                "resolution": None, "is_final": False, "is_success": False, "amount": None,
                "currency": None, "reference_id": None, "test_mode": None}
    a = d.get("attributes")
    if not isinstance(a, dict):
        raise ValueError("no attributes")
    st = a.get("status")
    if not isinstance(st, str):
        raise ValueError("no status")
    table = PAYMENT_STATUS if d["type"] == "payment-invoices" else PAYOUT_STATUS
    fin, succ = table.get(st, (False, False))
    amt = a.get("amount")
    if isinstance(amt, str):
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", amt):
            raise ValueError("amount string not decimal")
        amt = Decimal(amt)
    elif amt is not None and not isinstance(amt, Decimal):
        raise ValueError("amount type")

    def s(k):
        x = a.get(k)
        return x if isinstance(x, str) else None
    tm = a.get("test_mode")
    return {"type": d["type"], "id": d["id"], "status": st, "resolution": s("resolution"),
            "is_final": fin, "is_success": succ, "amount": norm_amount(amt), "currency": s("currency"),
            "reference_id": s("reference_id"), "test_mode": tm if isinstance(tm, bool) else None}


def build_paycore_callback(results_log):
    SK = "sk_test_3Jx9QpL2mVb7Rt5Y"
    cases = []

    def add(id_, note, body, secret=SK, signature=None, sign_secret=None):
        body_bytes = body.encode("utf-8")
        sig = signature if signature is not None else paycore_sig(sign_secret or secret, body_bytes)
        case = {"id": id_, "note": note, "secret": secret, "body": body, "signature": sig,
                "expected": None, "error": None}
        if paycore_verify(secret, body_bytes, sig) is not None:
            case["error"] = "signature"
        else:
            try:
                case["expected"] = paycore_extract(body_bytes)
            except ValueError:
                case["error"] = "invalid_input"
        cases.append(case)

    add("pcb-processed", "payment invoice processed (final, success); PHP habits: escaped slashes, [] for empty "
        "objects", php_json(invoice_doc()))
    for st in PAYMENT_STATUS:
        add("pcb-payment-status-" + st.replace("_", "-"), "payment invoice status %s" % st,
            php_json(invoice_doc(status=st, ref="order-st-" + st, amount=Num("42"))))
    add("pcb-unknown-status", "unknown status: not final, not success",
        php_json(invoice_doc(status="super_new_status")))
    add("pcb-resolution-upper-ok", "resolution 'OK' (public API spelling) is kept as sent",
        php_json(invoice_doc(resolution="OK")))
    add("pcb-failed-with-resolution", "process_failed with a decline resolution",
        php_json(invoice_doc(status="process_failed", resolution="insufficient_funds")))
    add("pcb-amount-integer", "amount 100 (integer number)", php_json(invoice_doc(amount=100)))
    add("pcb-amount-trailing-zero-number", "amount 100.50 as a number lexeme -> '100.5'",
        php_json(invoice_doc(amount=Num("100.50"))))
    add("pcb-amount-100-0", "amount 100.0 -> '100'", php_json(invoice_doc(amount=Num("100.0"))))
    add("pcb-amount-string", "amount as a numeric string \"100.55\"", php_json(invoice_doc(amount="100.55")))
    add("pcb-amount-string-trailing-zeros", "amount string \"250.500\" -> '250.5'",
        php_json(invoice_doc(amount="250.500")))
    add("pcb-amount-crypto", "BTC amount with 8 decimals", php_json(invoice_doc(amount=Num("0.00012345"), currency="BTC")))
    add("pcb-amount-exponent", "amount written with an exponent 1.5e-5 -> '0.000015'",
        php_json(invoice_doc(amount=Num("1.5e-5"), currency="BTC")))
    add("pcb-amount-null", "amount null", php_json(invoice_doc(amount=None)))
    add("pcb-unknown-attributes", "unknown extra attributes and included[] are ignored",
        php_json(dict(invoice_doc(extra_attrs={"auth_type": "3ds", "brand_new_field": {"x": [1, 2]},
                                               "charged_back_amount": None}),
                      included=[{"type": "customers", "id": "cus_X1", "attributes": {"email": "a@b.example"}}])))
    add("pcb-non-empty-objects", "metadata/payload/callback_logs/relationships as real objects",
        php_json(invoice_doc(empty_objects=False)))
    add("pcb-pretty-printed", "pretty-printed body (hash the exact bytes)", php_json(invoice_doc(), pretty=True))
    add("pcb-unicode-raw", "raw UTF-8 description (not \\u-escaped)",
        dumps(invoice_doc(extra_attrs={"description": "Оплата заказа №7 😀"}), ensure_ascii=False, escape_slashes=True))
    add("pcb-no-test-mode", "test_mode absent -> null; reference_id absent -> null",
        php_json({"data": {"type": "payment-invoices", "id": "cpi_min1",
                           "attributes": {"status": "created", "amount": 5, "currency": "EUR"}}}))
    add("pcb-live-mode", "test_mode false, live key", php_json(invoice_doc(test_mode=False)),
        secret="sk_live_Lw8Zr1Tq6Yp3")
    add("pcb-payout-processed", "payout invoice processed", php_json(payout_doc("processed")))
    add("pcb-payout-canceled", "payout invoice canceled (final)", php_json(payout_doc("canceled")))
    add("pcb-payout-process-failed", "payout invoice process_failed with an uppercase resolution",
        php_json(payout_doc("process_failed", resolution="INSUFFICIENT_FUNDS")))
    add("pcb-payout-cancel-pending", "payout invoice cancel_pending (not final)", php_json(payout_doc("cancel_pending")))
    add("pcb-payout-partially-canceled", "payout partially_canceled (final)", php_json(payout_doc("partially_canceled")))
    good = php_json(invoice_doc())
    add("pcb-bad-signature-tampered", "body changed after signing", good.replace("100.55", "1000.55"),
        signature=paycore_sig(SK, good.encode()))
    add("pcb-bad-signature-wrong-secret", "signed with another secret", good, sign_secret="sk_test_other")
    add("pcb-bad-signature-hex", "hex digest given as signature", good, signature=paycore_digest(SK, good.encode()).hex())
    add("pcb-bad-signature-empty", "empty signature header", good, signature="")
    add("pcb-invalid-json-signed", "correctly signed but not JSON", "not json at all")
    add("pcb-json-array-signed", "correctly signed JSON array", "[]")
    add("pcb-missing-data-signed", "correctly signed object without data", '{"errors":[]}')
    add("pcb-unknown-type-signed", "correctly signed document of a type polypay does not model: kept, "
        "never final or successful",
        php_json({"data": {"type": "refunds", "id": "ref_1", "attributes": {"status": "processed"}}}))
    add("pcb-missing-status-signed", "correctly signed invoice without status",
        php_json({"data": {"type": "payment-invoices", "id": "cpi_nostatus", "attributes": {"amount": 1}}}))
    add("pcb-invalid-json-bad-signature", "signature is checked first: garbage with a bad signature -> signature",
        "not json at all", signature=PAYCORE_DOC_SIG)
    check_unique_ids("paycore_callback", cases)
    byid = {c["id"]: c for c in cases}
    e = byid["pcb-processed"]["expected"]
    if not (e["is_final"] and e["is_success"] and e["amount"] == "100.55"):
        fail("pcb-processed expectations")
    if byid["pcb-payment-status-partially-processed"]["expected"]["is_final"] or \
            not byid["pcb-payment-status-charged-back"]["expected"]["is_final"]:
        fail("status table")
    if byid["pcb-amount-integer"]["expected"]["amount"] != "100" or \
            byid["pcb-amount-trailing-zero-number"]["expected"]["amount"] != "100.5":
        fail("amount normalisation")
    if "\\/" not in byid["pcb-processed"]["body"] or '"metadata":[]' not in byid["pcb-processed"]["body"]:
        fail("PHP habits missing from bodies")
    results_log.append("paycore callbacks: %d cases" % len(cases))
    return {
        "description": "PayCore callback handling: verify X-Signature over the exact body bytes, then parse the "
                       "JSON:API invoice document into 'expected' (or 'error'). Status table and rules in README.",
        "generator": GENERATOR,
        "cases": cases,
    }


# ============================================================== 8. paycore_hpp.json

HPP_ENVS = {"paycore": "https://com.paycore.io", "paymega": "https://api.paymega.io"}
CURRENCY_EXPONENT = {"USD": 2, "EUR": 2, "GBP": 2, "UAH": 2, "JPY": 0, "KWD": 3, "BTC": 8}
HPP_TOP = ["public_key", "amount", "currency", "reference_id", "description", "expires", "customer", "service",
           "service_fields", "cpi", "return_url", "locale", "display", "style", "metadata"]
HPP_CUSTOMER = ["reference_id", "email", "phone", "name", "date_of_birth", "individual_tax_id", "address", "metadata"]
HPP_ADDRESS = ["country", "region", "city", "post_code", "street", "full_address"]


class HppError(Exception):
    pass


def hpp_value(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    raise HppError("unsupported value type")


def hpp_amount(v, currency):
    if isinstance(v, str):
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", v):
            raise HppError("amount string is not a plain positive decimal")
        d = Decimal(v)
    elif isinstance(v, Decimal):
        d = v
    elif isinstance(v, int) and not isinstance(v, bool):
        d = Decimal(v)
    else:
        raise HppError("amount must be a number or a decimal string")
    if not d.is_finite() or d <= 0:
        raise HppError("amount must be > 0")
    d = d.normalize()
    exp = -d.as_tuple().exponent if d.as_tuple().exponent < 0 else 0
    if exp > CURRENCY_EXPONENT[currency]:
        raise HppError("amount has more decimals than %s allows (%d)" % (currency, CURRENCY_EXPONENT[currency]))
    return format(d, "f")


def hpp_fields(params):
    """(name, value) pairs in the fixed order, or HppError."""
    for k in params:
        if k not in HPP_TOP:
            raise HppError("unknown parameter %r" % k)
    p = {k: v for k, v in params.items() if v is not None}
    has_cpi = "cpi" in p
    if "public_key" in p:
        pk = p["public_key"]
        if not isinstance(pk, str) or pk.startswith("sk_") or not pk.startswith("pk_"):
            raise HppError("public_key must be a pk_ key")
    elif not has_cpi:
        raise HppError("public_key is required (unless cpi is given)")
    if not has_cpi and ("amount" not in p or "currency" not in p):
        raise HppError("amount and currency are required unless cpi is given")
    if "currency" in p and p["currency"] not in CURRENCY_EXPONENT:
        raise HppError("unknown currency %r (codes are upper-case ISO 4217)" % p["currency"])
    if "amount" in p and "currency" not in p:
        raise HppError("amount needs currency")
    if "return_url" in p:
        check_link_url(p["return_url"])
    if "expires" in p and (isinstance(p["expires"], bool) or not isinstance(p["expires"], (int, Decimal))):
        raise HppError("expires must be integer unix seconds")
    f = []

    def put(name, v):
        if v is not None:
            f.append([name, hpp_value(v)])
    put("public_key", p.get("public_key"))
    if "amount" in p:
        f.append(["amount", hpp_amount(p["amount"], p["currency"])])
    put("currency", p.get("currency"))
    put("reference_id", p.get("reference_id"))
    put("description", p.get("description"))
    if "expires" in p:
        e = p["expires"]
        if isinstance(e, Decimal):
            if e != e.to_integral_value():
                raise HppError("expires must be an integer")
            e = int(e)
        f.append(["expires", str(e)])
    if "customer" in p:
        c = {k: v for k, v in p["customer"].items() if v is not None}
        for k in c:
            if k not in HPP_CUSTOMER:
                raise HppError("unknown customer field %r" % k)
        if not isinstance(c.get("reference_id"), str) or not c["reference_id"]:
            raise HppError("customer.reference_id is required when customer is given")
        for k in HPP_CUSTOMER[:6]:
            put("customer[%s]" % k, c.get(k))
        addr = {k: v for k, v in c.get("address", {}).items() if v is not None}
        for k in addr:
            if k not in HPP_ADDRESS:
                raise HppError("unknown address field %r" % k)
        for k in HPP_ADDRESS:
            put("customer[address][%s]" % k, addr.get(k))
        for k, v in c.get("metadata", {}).items():
            put("customer[metadata][%s]" % k, v)
    put("service", p.get("service"))
    for k, v in p.get("service_fields", {}).items():
        put("service_fields[%s]" % k, v)
    put("cpi", p.get("cpi"))
    put("return_url", p.get("return_url"))
    put("locale", p.get("locale"))
    for group in ("display", "style", "metadata"):
        for k, v in p.get(group, {}).items():
            put("%s[%s]" % (group, k), v)
    return f


def check_link_url(url):
    """return_url/callback URLs (core/src/urls.rs): http(s), no user:pass@, no whitespace or
    control characters, https unless the host is localhost or a loopback address."""
    import ipaddress
    import urllib.parse
    if any(ord(ch) < 0x21 or 0x7f <= ord(ch) <= 0x9f or ch.isspace() for ch in url):
        raise HppError("return_url has whitespace or control characters")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise HppError("return_url must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise HppError("return_url must not carry credentials")
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() == "localhost"
    if parts.scheme.lower() == "http" and not loopback:
        raise HppError("return_url must use https except to a loopback host")


def hpp_parse(params_json):
    return json.loads(params_json, parse_float=Decimal, parse_int=lambda s: int(s))


def build_hpp(results_log):
    cases = []
    case_fields = []
    errors = []

    def base_of(env, base_url):
        return HPP_ENVS[env] if base_url is None else base_url.rstrip("/")

    def add(id_, note, params, env="paycore", base_url=None):
        case = {"id": id_, "note": note, "env": env, "base_url": base_url}
        with_params(case, params)
        fields = hpp_fields(hpp_parse(case["params_json"]))
        base = base_of(env, base_url)
        query = "&".join(whatwg_urlencode(k) + "=" + whatwg_urlencode(v) for k, v in fields)
        case["url"] = base + "/hpp/?" + query
        # The auto-redirect form creates the invoice: it needs what a create needs (docs §3.4).
        given = dict(fields)
        missing = [k for k in ("public_key", "service", "amount", "currency") if not given.get(k)]
        if missing:
            case["form_error"] = {"kind": "invalid_input", "argument": missing[0]}
        else:
            case["form"] = {"action": base + "/public-api/payment-invoices/process", "method": "POST", "fields": fields}
        case_fields.append(fields)
        cases.append(case)

    def err(id_, reason, params):
        case = {"id": id_, "env": "paycore"}
        with_params(case, params)
        try:
            hpp_fields(hpp_parse(case["params_json"]))
        except HppError as e:
            case["error"] = "invalid_input"
            case["reason"] = reason
            case["detail"] = str(e)
            errors.append(case)
            return
        fail("hpp error case %s was accepted" % id_)

    PK = "pk_test_7YhT2cVd9KqLs3Mn"
    add("hpp-minimal", "public_key, amount, currency", {"public_key": PK, "amount": 100, "currency": "USD"})
    add("hpp-full", "every parameter, given in scrambled order: output order is fixed",
        {"metadata": {"order": "A-17", "channel": "web"},
         "style": {"theme": "dark", "primary": "#0055ff", "show_method_logo": True},
         "display": {"hide_header": True, "hide_footer": False},
         "locale": "uk", "return_url": "https://shop.example.test/return?o=A-17",
         "cpi": None,
         "service_fields": {"status": "success", "phone": "+380501234567"},
         "service": "test_usd_test",
         "customer": {"metadata": {"tier": "gold", "ref": "x"},
                      "address": {"full_address": "1 Main St, Kyiv", "street": "Main St 1", "post_code": "01001",
                                  "city": "Kyiv", "region": "Kyiv", "country": "UA"},
                      "individual_tax_id": "1234567890", "date_of_birth": "1990-05-17", "name": "Olena Petrenko",
                      "phone": "+380501234567", "email": "olena@example.test", "reference_id": "cus-1001"},
         "expires": 1767225600, "description": "Order A-17", "reference_id": "ref-A-17",
         "currency": "USD", "amount": Num("100.50"), "public_key": PK})
    add("hpp-paymega-env", "paymega preset host", {"public_key": PK, "amount": Num("49.99"), "currency": "EUR",
                                                   "reference_id": "pm-1"}, env="paymega")
    add("hpp-custom-base-trailing-slash", "white-label base URL with trailing slashes removed",
        {"public_key": PK, "amount": 10, "currency": "UAH"}, env=None, base_url="https://pay.whitelabel.example/")
    add("hpp-custom-base-with-path", "custom base with a path prefix",
        {"public_key": PK, "amount": 10, "currency": "UAH"}, env=None, base_url="https://gw.example.test/checkout//")
    add("hpp-cpi-only", "invoice created earlier: cpi only, no public_key/amount/currency",
        {"cpi": "cpi_Qx7Lm2Np9Rs4Tv6W"})
    add("hpp-cpi-with-locale", "cpi plus display options", {"cpi": "cpi_Qx7Lm2Np9Rs4Tv6W", "locale": "en",
                                                             "display": {"hide_lifetime_counter": True}})
    add("hpp-unicode-description", "UTF-8 description percent-encoded byte by byte",
        {"public_key": PK, "amount": 5, "currency": "UAH", "description": "Оплата замовлення №5 — дякуємо! 😀"})
    add("hpp-special-chars", "& = + # % ' \" < > ~ * and spaces: WHATWG form encoding (* kept, ~ escaped)",
        {"public_key": PK, "amount": 1, "currency": "USD", "reference_id": "a&b=c+d#e%f",
         "description": "'q' \"dq\" <tag> ~tilde *star* space / slash ? [b] {c} |p| \\bs ^ ` $ @ ! ( ) , ; :"})
    add("hpp-form-special-chars", "the special characters with a service: the form is built too",
        {"public_key": PK, "amount": 1, "currency": "USD", "service": "payment_card_usd_hpp",
         "reference_id": "a&b=c+d#e%f", "description": "'q' \"dq\" <tag> ~tilde *star* & ; :"})
    add("hpp-form-unicode", "UTF-8 description in a form",
        {"public_key": PK, "amount": 5, "currency": "UAH", "service": "payment_card_uah_hpp",
         "description": "Оплата замовлення №5 — дякуємо! 😀",
         "return_url": "http://127.0.0.1:8000/return?o=5"})
    add("hpp-display-booleans", "display booleans render as true/false",
        {"public_key": PK, "amount": 1, "currency": "USD",
         "display": {"hide_header": True, "hide_footer": True, "hide_progress_bar": False,
                     "hide_method_filter": False, "hide_lifetime_counter": True, "hide_invoice_lifetime_counter": False}})
    add("hpp-style-and-metadata", "style and metadata maps in insertion order",
        {"public_key": PK, "amount": 1, "currency": "USD",
         "style": {"theme": "light", "font_family": "Inter, sans-serif", "pay_button_label": "Pay now"},
         "metadata": {"z_last": "1", "a_first": "2", "key with space": "v&v"}})
    add("hpp-service-fields", "service and service_fields",
        {"public_key": PK, "amount": 25, "currency": "UAH", "service": "qiwi_usd_hpp",
         "service_fields": {"phone": "+380987654321", "wallet": "W-1"}})
    add("hpp-amount-string-trailing-zeros", "amount \"100.50\" as a string -> 100.5",
        {"public_key": PK, "amount": "100.50", "currency": "USD"})
    add("hpp-amount-string-zero-point-ten", "amount \"0.10\" -> 0.1", {"public_key": PK, "amount": "0.10", "currency": "EUR"})
    add("hpp-amount-number-trailing-zeros", "amount 100.500 (number lexeme) -> 100.5",
        {"public_key": PK, "amount": Num("100.500"), "currency": "USD"})
    add("hpp-amount-jpy", "zero-decimal currency: 1500.00 -> 1500", {"public_key": PK, "amount": Num("1500.00"),
                                                                     "currency": "JPY"})
    add("hpp-amount-kwd", "three-decimal currency KWD 1.234", {"public_key": PK, "amount": Num("1.234"), "currency": "KWD"})
    add("hpp-crypto-btc", "BTC with 8 decimals, no exponent in output",
        {"public_key": PK, "amount": Num("0.00012345"), "currency": "BTC"})
    add("hpp-crypto-btc-exponent", "BTC amount given as 1e-8: rendered 0.00000001",
        {"public_key": PK, "amount": Num("1e-8"), "currency": "BTC"})
    add("hpp-large-amount", "large amount rendered without exponent",
        {"public_key": PK, "amount": Num("1e7"), "currency": "USD"})
    add("hpp-null-fields-omitted", "null parameters are omitted",
        {"public_key": PK, "amount": 3, "currency": "USD", "description": None, "customer": {"reference_id": "c1",
                                                                                           "email": None}})
    add("hpp-live-key", "live public key", {"public_key": "pk_live_Ab12Cd34", "amount": 7, "currency": "GBP"})

    err("hpp-err-missing-public-key", "missing public_key", {"amount": 1, "currency": "USD"})
    err("hpp-err-secret-key", "sk_ key given as public_key", {"public_key": "sk_test_abc", "amount": 1, "currency": "USD"})
    err("hpp-err-amount-negative", "amount negative", {"public_key": PK, "amount": Num("-1.00"), "currency": "USD"})
    err("hpp-err-amount-zero", "amount 0", {"public_key": PK, "amount": 0, "currency": "USD"})
    err("hpp-err-amount-zero-string", "amount \"0.00\"", {"public_key": PK, "amount": "0.00", "currency": "USD"})
    err("hpp-err-too-many-decimals", "USD with 3 decimals", {"public_key": PK, "amount": Num("10.001"), "currency": "USD"})
    err("hpp-err-jpy-decimals", "JPY with decimals", {"public_key": PK, "amount": Num("10.5"), "currency": "JPY"})
    err("hpp-err-unknown-currency", "unknown currency ABC", {"public_key": PK, "amount": 1, "currency": "ABC"})
    err("hpp-err-lowercase-currency", "lowercase usd", {"public_key": PK, "amount": 1, "currency": "usd"})
    err("hpp-err-customer-without-reference", "customer without reference_id",
        {"public_key": PK, "amount": 1, "currency": "USD", "customer": {"email": "a@b.example"}})
    err("hpp-err-unknown-parameter", "unknown parameter amout", {"public_key": PK, "amout": 1, "currency": "USD"})
    err("hpp-err-nothing-to-pay", "neither cpi nor amount/currency", {"public_key": PK})
    err("hpp-err-amount-without-currency", "amount without currency", {"public_key": PK, "amount": 1})
    err("hpp-err-amount-nan", "amount \"NaN\"", {"public_key": PK, "amount": "NaN", "currency": "USD"})
    err("hpp-err-amount-garbage-string", "amount \"1,50\"", {"public_key": PK, "amount": "1,50", "currency": "USD"})
    err("hpp-err-return-url-no-scheme", "return_url without scheme",
        {"public_key": PK, "amount": 1, "currency": "USD", "return_url": "shop.example.test/return"})
    err("hpp-err-return-url-javascript", "return_url javascript: scheme",
        {"public_key": PK, "amount": 1, "currency": "USD", "return_url": "javascript:alert(1)"})
    err("hpp-err-return-url-file", "return_url file: scheme",
        {"public_key": PK, "amount": 1, "currency": "USD", "return_url": "file:///etc/passwd"})
    err("hpp-err-return-url-userinfo", "return_url that only looks like localhost (userinfo)",
        {"public_key": PK, "amount": 1, "currency": "USD", "return_url": "http://localhost:1@evil.example/"})
    err("hpp-err-return-url-plain-http", "plain http return_url to a public host",
        {"public_key": PK, "amount": 1, "currency": "USD", "return_url": "http://shop.example.test/return"})
    err("hpp-err-unknown-customer-field", "unknown customer field",
        {"public_key": PK, "amount": 1, "currency": "USD", "customer": {"reference_id": "c", "age": "30"}})
    check_unique_ids("paycore_hpp", cases + errors)
    # optional cross-check of the form encoding against a real WHATWG implementation
    node = shutil.which("node")
    if node:
        js = ("const cases=JSON.parse(require('fs').readFileSync(0,'utf8'));"
              "process.stdout.write(JSON.stringify(cases.map(f=>new URLSearchParams(f).toString())));")
        proc = subprocess.run([node, "-e", js], input=json.dumps(case_fields).encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            fail("node cross-check failed: " + proc.stderr.decode())
        for c, q in zip(cases, json.loads(proc.stdout)):
            if c["url"].split("/hpp/?", 1)[1] != q:
                fail("hpp %s: URLSearchParams gives %s" % (c["id"], q))
        results_log.append("hpp: query strings identical to node URLSearchParams")
    else:
        results_log.append("hpp: node not found, URLSearchParams cross-check skipped")
    return {
        "description": "PayCore hosted payment page (docs/paycore-api.md §3.5): url = base + '/hpp/?' + "
                       "WHATWG form-encoded query of the fixed-order fields; form posts the same fields to "
                       "base + '/public-api/payment-invoices/process'. errors: inputs rejected as invalid_input.",
        "generator": GENERATOR,
        "cases": cases,
        "errors": errors,
    }


# ============================================================== main

def main(argv):
    check = "--check" in argv
    log = []
    files = [
        ("ecommpay_sign.json", build_sign),
        ("ecommpay_natsort.json", build_natsort),
        ("php_float.json", build_floats),
        ("ecommpay_url.json", build_url),
        ("ecommpay_callback.json", build_callback),
        ("paycore_signature.json", build_paycore_signature),
        ("paycore_callback.json", build_paycore_callback),
        ("paycore_hpp.json", build_hpp),
    ]
    changed = []
    built = [(name, fn(log)) for name, fn in files]      # build everything before writing anything
    for name, doc in built:
        text = dumps(doc, indent=2) + "\n"
        json.loads(text)  # sanity
        path = os.path.join(OUT_DIR, name)
        old = open(path, "rb").read() if os.path.exists(path) else None
        new = text.encode("utf-8")
        extra = {k: len(v) for k, v in doc.items() if isinstance(v, list)}
        log.append("%s: %s" % (name, ", ".join("%s=%d" % kv for kv in extra.items())))
        if old != new:
            changed.append(name)
            if not check:
                with open(path, "wb") as fh:
                    fh.write(new)
    for line in log:
        print(line)
    if check and changed:
        print("OUT OF DATE: " + ", ".join(changed), file=sys.stderr)
        return 1
    print(("unchanged" if not changed else ("checked" if check else "written: " + ", ".join(changed))))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except GenError as e:
        print("GENERATION FAILED: %s" % e, file=sys.stderr)
        sys.exit(2)
