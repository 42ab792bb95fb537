"""`python -m tests.sandbox up [--port N] [--kubeconfig PATH]`: run the sandbox in the foreground."""
import argparse
import os
import signal
import sys
import tempfile
import threading

from tests.sandbox import mesh as sandbox_mesh
from tests.sandbox.apiserver import Emulator


def build_parser():
    """The CLI; other sandbox parts add their flags to the `up` subparser (see `add_up_arguments`)."""
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox", description="The progressive.canary sandbox.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the Kubernetes API emulator (foreground, Ctrl-C stops it)")
    add_up_arguments(up)
    return parser


def add_up_arguments(up):
    up.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    up.add_argument("--kubeconfig", default=None, help="where to write the kubeconfig (default: a temp file)")
    up.add_argument("--namespace", default=None, help="namespace of the kubeconfig's context")
    up.add_argument("--ready-seconds", type=float, default=0.3, help="seconds until a new pod template is ready")
    up.add_argument("--pod-drain-seconds", type=float, default=0.0,
                    help="seconds a deleted pod without a preStop sleep keeps answering (default 0: it exits at once)")
    up.add_argument("--no-crds", action="store_true", help="serve no CRDs (a cluster without Istio / Gateway API)")
    up.add_argument("--served-versions", action="append", default=[], metavar="GROUP=V1[,V2...]",
                    help="serve only these versions of a CRD group, e.g. networking.istio.io=v1beta1 (Istio < 1.22); repeatable")
    sandbox_mesh.add_arguments(up)


def parse_served_versions(values):
    """{group: [versions]} from `--served-versions GROUP=V1,V2` options."""
    served = {}
    for value in values or ():
        group, _equals, versions = value.partition("=")
        if not group or not versions:
            raise SystemExit(f"--served-versions {value!r}: expected GROUP=VERSION[,VERSION...]")
        served[group] = [version.strip() for version in versions.split(",") if version.strip()]
    return served or None


def up(args, stop_event=None):
    """Start the emulator, write the kubeconfig, print its path, block until SIGINT/SIGTERM (or `stop_event`)."""
    stop_event = stop_event or threading.Event()
    # Before anything is printed: a caller may signal as soon as it has read the kubeconfig's path.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop_event.set())
    emulator = Emulator(port=args.port, crds=[] if args.no_crds else None, ready_seconds=args.ready_seconds,
                        served_versions=parse_served_versions(getattr(args, "served_versions", None)),
                        pod_drain_seconds=getattr(args, "pod_drain_seconds", 0.0))
    emulator.start()
    kubeconfig = args.kubeconfig or os.path.join(tempfile.mkdtemp(prefix="sandbox-"), "kubeconfig")
    emulator.write_kubeconfig(kubeconfig, namespace=args.namespace)
    sys.stdout.write(f"{kubeconfig}\n")
    sys.stdout.write(f"# apiserver {emulator.url}; export KUBECONFIG={kubeconfig}\n")
    services, lines = sandbox_mesh.start_from_args(args, emulator)
    sys.stdout.writelines(f"# {line}\n" for line in lines)
    sys.stdout.flush()
    try:
        stop_event.wait()
    finally:
        for service in reversed(services):
            service.stop()
        emulator.stop()
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "up":
        return up(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
