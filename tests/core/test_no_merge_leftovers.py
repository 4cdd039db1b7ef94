"""No file the shop serves or runs holds a merge's conflict markers: a browser skips the CSS rule
after one without a word (it once hid the staff pages' phone layout), and templates would show it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("app", "templates", "static", "migrations", "tests", "docs", "bench")
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def test_no_file_holds_conflict_markers():
    found = [str(path.relative_to(ROOT)) for folder in FOLDERS for path in (ROOT / folder).rglob("*")
             if path.is_file() and path.suffix in {".py", ".html", ".css", ".js", ".md", ".txt", ".toml", ".xml"}
             and MARKER.search(path.read_text(encoding="utf-8", errors="replace"))]
    assert found == []
