"""Self-test helpers shared by the source checks (check_layers.py,
check_size.py): made-up trees in a temporary folder, and a table of cases
each run through the check and compared with the expected messages."""
import os
import shutil
import tempfile


def tree(files, prefix="check-"):
    """A temporary folder holding files ({relative path: text})."""
    root = tempfile.mkdtemp(prefix=prefix)
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    return root


def run_cases(cases, check, base=None):
    """cases: (name, files, known, want): the check of base + files with
    known must give exactly len(want) messages, each starting with its want.
    Prints a line per case; returns 1 when any case failed, else 0."""
    failures = 0
    for name, files, known, want in cases:
        root = tree({**(base or {}), **files})
        try:
            bad = check(root, known)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        ok = len(bad) == len(want) and all(b.startswith(w) for b, w in zip(bad, want))
        print(f"{'ok' if ok else 'FAIL'} self-test {name}: {bad}")
        failures += not ok
    return 1 if failures else 0
