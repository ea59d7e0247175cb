"""README.ko.md is README.md in Korean and keeps in step with it: the same headings at each
level, the same code blocks character for character, the same link targets; each links to
the other edition and to the glossary."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = {"README.md": "[한국어](README.ko.md)", "README.ko.md": "[English](README.md)"}
GLOSSARY = "docs/glossary.md"
_FENCE = re.compile(r"^(```[^\n]*\n.*?^```)[ \t]*$", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})[ \t]+\S", re.MULTILINE)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def parts(text):
    """``(heading levels in order, code blocks, link targets)`` of a Markdown text; headings
    and links are read outside the code blocks."""
    blocks = _FENCE.findall(text)
    prose = _FENCE.sub("", text)
    return ([len(m) for m in _HEADING.findall(prose)], blocks, _LINK.findall(prose))


def drift(english, korean):
    """What differs between the two editions, in words (an empty list: nothing)."""
    problems = []
    (en_heads, en_code, en_links), (ko_heads, ko_code, ko_links) = parts(english), parts(korean)
    for level in range(1, 7):
        n_en, n_ko = en_heads.count(level), ko_heads.count(level)
        if n_en != n_ko:
            problems.append(f"{n_en} level-{level} headings in README.md, {n_ko} in README.ko.md")
    if en_heads != ko_heads:
        problems.append(f"the headings come in another order: {en_heads} / {ko_heads}")
    if len(en_code) != len(ko_code):
        problems.append(f"{len(en_code)} code blocks in README.md, {len(ko_code)} in README.ko.md")
    problems += [f"code block {i + 1} differs:\n{a}\n---\n{b}"
                 for i, (a, b) in enumerate(zip(en_code, ko_code)) if a != b]
    for name, text, links in (("README.md", english, en_links),
                              ("README.ko.md", korean, ko_links)):
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        if first != EDITIONS[name]:
            problems.append(f"{name} should start with the line {EDITIONS[name]!r}, not {first!r}")
        if GLOSSARY not in links:
            problems.append(f"{name} does not link to {GLOSSARY}")
    other = {"README.ko.md", "README.md"}
    en_rest = [link for link in en_links if link not in other]
    ko_rest = [link for link in ko_links if link not in other]
    if en_rest != ko_rest:
        problems.append(f"other link targets: README.md {en_rest}, README.ko.md {ko_rest}")
    return problems


def _read(name):
    return (ROOT / name).read_text(encoding="utf-8")


def test_the_korean_readme_is_the_english_one_in_structure():
    problems = drift(_read("README.md"), _read("README.ko.md"))
    assert not problems, "README.ko.md has drifted from README.md:\n" + "\n".join(problems)


def test_the_korean_readme_is_korean():
    text = _FENCE.sub("", _read("README.ko.md"))
    hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in text)
    assert hangul > 2000, f"README.ko.md holds only {hangul} Hangul syllables"
    for heading in re.findall(r"^#+[ \t]+(.*)$", text, re.MULTILINE):
        assert re.search("[\uac00-\ud7a3]", heading), f"heading not translated: {heading!r}"


def test_every_relative_link_of_both_readmes_leads_to_a_file():
    for name in EDITIONS:
        for target in parts(_read(name))[2]:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#", target):
                continue
            assert (ROOT / target.split("#")[0]).exists(), f"{name}: {target} leads nowhere"


def test_drift_is_found():
    english, korean = _read("README.md"), _read("README.ko.md")
    level_2 = parts(english)[0].count(2)
    missing = drift(english, korean.replace("## 데이터\n", "데이터\n", 1))
    assert f"{level_2} level-2 headings in README.md, {level_2 - 1} in README.ko.md" in missing
    swapped = korean.replace("## 환경 변수", "### 환경 변수", 1)
    assert any("level-3" in p for p in drift(english, swapped))
    code = korean.replace("make lab     # installs", "make lab     # 설치하고", 1)
    assert any(p.startswith("code block 3 differs") for p in drift(english, code))
    fewer = english + "\n```sh\nmake lint\n```\n"
    assert any("5 code blocks in README.md, 4" in p for p in drift(fewer, korean))
    link = korean.replace("(docs/grading.md)", "(docs/grading.ko.md)", 1)
    assert any(p.startswith("other link targets") for p in drift(english, link))
    no_glossary = korean.replace("(docs/glossary.md)", "(docs/terms.md)")
    assert any("does not link to docs/glossary.md" in p for p in drift(english, no_glossary))
    no_switch = english.replace("[한국어](README.ko.md)\n\n", "", 1)
    assert any("should start with the line" in p for p in drift(no_switch, korean))
