"""``python -m bench.peak_rss OUTPUT_FILE COMMAND...``: run COMMAND with its stdout and stderr in OUTPUT_FILE, then
print its peak RSS in KiB and exit with its exit code.

Why a launcher of its own: Linux carries the pre-exec memory's high-water mark into a child's ``ru_maxrss``, and
Python starts children with vfork, sharing the parent's memory until exec: a child of the benchmark process
would report at least the benchmark's own size. Started from this small process it reports its own."""
import resource
import subprocess
import sys


def main(argv):
    output_file, command = argv[0], argv[1:]
    with open(output_file, "w", encoding="utf-8") as output:
        returncode = subprocess.call(command, stdout=output, stderr=subprocess.STDOUT)
    sys.stdout.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
