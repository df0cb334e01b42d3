"""Builds a class of hostile submissions for checks/grade_archives.sh, each beside what it attacks.

    hostile_submissions.py CLASS OUTSIDE RIGHT

CLASS gets the submissions; OUTSIDE gets the teacher's solution (a copy of RIGHT's nnCostFunction.m)
that the links aim at, and is where an escaping member would land; RIGHT is a right Octave
submission. Every archive is written by zipfile or tarfile, never taken from anywhere.
"""
import io
import os
import shutil
import stat
import struct
import sys
import tarfile
import zipfile

klass, outside, right = sys.argv[1:4]
os.makedirs(klass, exist_ok=True)
os.makedirs(outside, exist_ok=True)
solution = os.path.abspath(os.path.join(outside, "solution.m"))
shutil.copy(os.path.join(right, "nnCostFunction.m"), solution)
right_files = {n: open(os.path.join(right, n), "rb").read() for n in sorted(os.listdir(right))}


def zip_of(name, extra):
    """A zip of the right submission's helpers plus `extra(z)`; its nnCostFunction.m comes from extra."""
    with zipfile.ZipFile(os.path.join(klass, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in right_files.items():
            if n != "nnCostFunction.m":
                z.writestr(n, data)
        extra(z)


def tar_of(name, members):
    with tarfile.open(os.path.join(klass, name), "w") as t:
        for n, data in right_files.items():
            if n == "nnCostFunction.m":
                continue
            info = tarfile.TarInfo(n)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)


def link_member(name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: unzip restores the mode, a link
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


# A bomb: 1 GiB of zeros, about 1 MiB zipped, and its listing says so.
def bomb(z):
    z.writestr("nnCostFunction.m", right_files["nnCostFunction.m"])
    with z.open("weights.bin", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(1024):
            f.write(chunk)


zip_of("zip_bomb.zip", bomb)

# A tar.gz bomb: 512 MiB of zeros, about 2 MiB gzipped; a tar's listing reads it whole, so it is
# refused at the first member past the cap.
class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, buffer):
        k = min(len(buffer), self.left)
        buffer[:k] = bytes(k)
        self.left -= k
        return k


with tarfile.open(os.path.join(klass, "targz_bomb.tar.gz"), "w:gz", compresslevel=1) as t:
    for n, data in right_files.items():
        info = tarfile.TarInfo(n)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    info = tarfile.TarInfo("weights.bin")
    info.size = 512 << 20
    t.addfile(info, io.BufferedReader(Zeros(info.size), 1 << 20))

# A header that lies: 64 MiB of zeros declared as 1000 bytes, in the local header and the central
# directory both (unzip believes neither and writes all 64 MiB).
def lying(z):
    z.writestr("nnCostFunction.m", right_files["nnCostFunction.m"])
    with z.open("weights.bin", "w") as f:
        chunk = bytes(1 << 20)
        for _ in range(64):
            f.write(chunk)


zip_of("zip_lying_header.zip", lying)
path = os.path.join(klass, "zip_lying_header.zip")
data = bytearray(open(path, "rb").read())
name = b"weights.bin"
local = data.rfind(b"PK\x03\x04", 0, data.find(name) + 1)
struct.pack_into("<I", data, local + 22, 1000)
central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
struct.pack_into("<I", data, central + 24, 1000)
descriptor = data.find(b"PK\x07\x08", local)
if 0 <= descriptor < central:
    struct.pack_into("<I", data, descriptor + 12, 1000)
open(path, "wb").write(data)

# A zip whose nnCostFunction.m is a link to the teacher's solution, outside the submission.
zip_of("zip_link_outside.zip", lambda z: z.writestr(link_member("nnCostFunction.m", solution), solution))

# Tars with a member escaping by .., by an absolute path, a link out, and a device.
def regular(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


tar_of("tar_dotdot.tar", [regular("nnCostFunction.m", right_files["nnCostFunction.m"]),
                          regular("../../escaped_dotdot.m", b"% escaped\n")])
tar_of("tar_absolute.tar", [regular("nnCostFunction.m", right_files["nnCostFunction.m"]),
                            regular(os.path.join(os.path.abspath(outside), "escaped_absolute.m"), b"% escaped\n")])
link = tarfile.TarInfo("nnCostFunction.m")
link.type, link.linkname = tarfile.SYMTYPE, solution
tar_of("tar_link_outside.tar", [(link, None)])  # the Octave edition, graded against the solution
# Links that each stay inside when read by their text (b -> ., up -> b/..) but, resolved, reach the
# folder above: only the verification of what landed sees it.
chain = []
for name, target in (("b", "."), ("up", "b/..")):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    chain.append((info, None))
tar_of("tar_link_chain_outside.tar", [regular("nnCostFunction.m", right_files["nnCostFunction.m"])] + chain)
device = tarfile.TarInfo("disk")
device.type, device.devmajor, device.devminor = tarfile.CHRTYPE, 1, 3
tar_of("tar_device.tar", [regular("nnCostFunction.m", right_files["nnCostFunction.m"]), (device, None)])

# Folders: one whose nnCostFunction.m links to the solution outside, one with 20000 files.
folder = os.path.join(klass, "folder_link_outside")
os.makedirs(folder)
for n, data in right_files.items():
    if n != "nnCostFunction.m":
        open(os.path.join(folder, n), "wb").write(data)
os.symlink(os.path.abspath(solution), os.path.join(folder, "nnCostFunction.m"))
folder = os.path.join(klass, "folder_20000_files")
shutil.copytree(right, folder)
os.makedirs(os.path.join(folder, "cache"))
for k in range(20000):
    open(os.path.join(folder, "cache", f"{k:05}.txt"), "w").close()

# Honest ones beside them: a folder whose nnCostFunction.m links to the student's own final
# version inside it, the same as a zip (a link inside is fine), and the right folder itself.
folder = os.path.join(klass, "honest_link_inside")
os.makedirs(os.path.join(folder, "versions"))
for n, data in right_files.items():
    open(os.path.join(folder, "versions/final.m" if n == "nnCostFunction.m" else n), "wb").write(data)
os.symlink(os.path.join("versions", "final.m"), os.path.join(folder, "nnCostFunction.m"))
zip_of("honest_zip_link_inside.zip", lambda z: (z.writestr("versions/final.m", right_files["nnCostFunction.m"]),
                                                z.writestr(link_member("nnCostFunction.m", "versions/final.m"),
                                                           "versions/final.m")))
shutil.copytree(right, os.path.join(klass, "honest_folder"))
