#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unpack one collection (ansible_collections/<namespace>/<name>/) from the `ansible` wheel.

Usage: extract_collection.py WHEEL NAMESPACE NAME DEST  (DEST gets DEST/ansible_collections/NAMESPACE/NAME)
"""
import os
import sys
import zipfile


def extract(wheel, namespace, name, dest):
    """Extract the collection's members; returns how many files were written."""
    prefix = "ansible_collections/%s/%s/" % (namespace, name)
    root = os.path.realpath(dest)
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if not member.filename.startswith(prefix) or member.is_dir():
                continue
            target = os.path.realpath(os.path.join(root, member.filename))
            if not target.startswith(root + os.sep):
                raise ValueError("refusing to write outside %s: %s" % (root, member.filename))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(member) as source, open(target, "wb") as out:
                out.write(source.read())
            count += 1
    if not count:
        raise ValueError("%s has no %s" % (wheel, prefix))
    return count


def main(argv):
    """Command-line entry point."""
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    count = extract(*argv[1:])
    sys.stderr.write("unpacked %d files of %s.%s\n" % (count, argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
