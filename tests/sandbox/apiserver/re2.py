"""Whether Go's regexp (RE2 syntax) would compile a pattern, as istiod's validation checks a ``regex`` match.

An approximation without an RE2 binding: Python's ``re`` compiles the pattern first (its syntax errors are RE2's too),
then the constructs Python accepts and RE2 refuses are looked for: backreferences (``\\1``, ``(?P=name)``),
lookaround (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), atomic groups and conditionals (``(?>``, ``(?(``), possessive
quantifiers (``a*+``), ``\\Z``, and repeat counts above 1000. The error texts follow Go's ``regexp/syntax`` ones
(``error parsing regexp: <code>: `<text>```). Not covered: RE2 syntax Python refuses (``\\pN``, ``[[:alpha:]]``, a
flag group after the start), which is then refused here although RE2 accepts it.
"""

import re

MAX_REPEAT = 1000
_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")


def _error(code, text):
    return "error parsing regexp: %s: `%s`" % (code, text)


def _group_error(pattern, index):
    """The RE2 error of the group opening at ``pattern[index]`` (``(``), or None."""
    head = pattern[index:index + 4]
    for opening in ("(?<=", "(?<!"):
        if head.startswith(opening):
            return _error("invalid or unsupported Perl syntax", opening)
    for opening in ("(?=", "(?!", "(?>", "(?(", "(?#"):
        if head.startswith(opening):
            return _error("invalid or unsupported Perl syntax", opening)
    if head.startswith("(?P="):
        return _error("invalid named capture", pattern[index:pattern.find(")", index) + 1 or len(pattern)])
    return None


def _quantifier_end(pattern, index):
    """End of the quantifier starting at ``index`` (``*``, ``+``, ``?``, ``{n,m}``), else None."""
    char = pattern[index]
    if char in "*+?":
        return index + 1
    if char == "{":
        found = _REPEAT.match(pattern, index)
        if found and (found.group(1) or found.group(2)):
            return found.end()
    return None


def re2_error(pattern):
    """Go's compile error for ``pattern`` (a string), or None when RE2 accepts it."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return _error("invalid regexp", "%s (%s)" % (pattern, exc.msg))
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1:index + 2]
            if not in_class and (escaped in "123456789" and escaped or escaped == "Z"):
                return _error("invalid escape sequence", "\\" + escaped)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1:index + 2] in ("]", "^"):
                index += 1 + (pattern[index + 2:index + 3] == "]" and pattern[index + 1] == "^")
        elif char == "(":
            problem = _group_error(pattern, index)
            if problem:
                return problem
        else:
            end = _quantifier_end(pattern, index)
            if end is not None:
                found = _REPEAT.match(pattern, index)
                if found and any(int(n) > MAX_REPEAT for n in found.groups() if n):
                    return _error("invalid repeat count", found.group(0))
                lazy = end < len(pattern) and pattern[end] == "?"
                if not lazy and end < len(pattern) and pattern[end] == "+":
                    return _error("invalid nested repetition operator", pattern[index:end + 1])
                index = end + lazy
                continue
        index += 1
    return None
