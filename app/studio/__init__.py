"""The marketing studio's rules: drafts and revisions of shop copy, publishing (now or scheduled),
edit conflicts, diffs and signed preview links. Its screens live in app/admin/studio/."""
