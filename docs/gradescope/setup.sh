#!/bin/sh
# setup.sh: Gradescope runs it once, as root, when it builds the autograder's image; the
# autograder zip holds it, run_autograder, and a copy of gradcheck's repository in gradcheck/.
set -e
apt-get update -qq
apt-get install -y -qq --no-install-recommends octave python3-numpy   # the course's two editions
apt-get install -y -qq --no-install-recommends bubblewrap             # grade's sandbox, where namespaces work
# Built for any x86-64 CPU (no -march=native): the image is built on one machine, run on others.
cd /autograder/source/gradcheck && ./setup.sh autograder
