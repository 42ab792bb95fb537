#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip bootstrap script that ansible-test downloads into ~/.ansible/test/cache/.

ansible-test runs that script in each fresh virtual environment as
``python get_pip_X_Y.py --disable-pip-version-check pip==X.Y --no-setuptools --no-wheel``.
Its download host is not reachable from every machine we work on, so hack/setup-ansible-test.sh copies
this file there instead: it bootstraps pip from the interpreter's bundled ``ensurepip`` (no network) and
then lets pip install the requested packages from the package index as ansible-test asked.
"""
import subprocess
import sys

# get-pip.py's own switches; pip install does not know them.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def run(*args):
    """Run the current interpreter with args, failing loudly."""
    subprocess.check_call((sys.executable,) + args)


def main(argv):
    """Bootstrap pip, install what was asked, drop setuptools/wheel when asked to go without them."""
    run("-m", "ensurepip", "--default-pip")
    pip_args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    run("-m", "pip", "install", *pip_args)
    unwanted = [name for name, option in (("setuptools", "--no-setuptools"), ("wheel", "--no-wheel")) if option in argv]
    if unwanted:
        # ensurepip may bring setuptools along; ansible-test wants an environment without it.
        run("-m", "pip", "uninstall", "--disable-pip-version-check", "-q", "-y", *unwanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
