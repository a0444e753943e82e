"""The quick start scripts: `scripts/make-venv` (Debian's python3.X-venv installed when `venv`
fails) and `./pullcheck-quickstart` (arguments reach `pullcheck run` as given).

The full install on a fresh Debian machine is slow and needs the network; it was run by hand
(see the README's Quick start). These tests stand in programs for apt-get, sudo and the Python
whose `venv` lacks its pip bootstrap, and check what the scripts do with them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def stub_bin(tmp_path: Path) -> Path:
    """apt-get that logs its arguments and "installs" venv support; sudo that just runs."""
    folder = tmp_path / "bin"
    folder.mkdir()
    executable(
        folder / "apt-get",
        f'#!/bin/sh\necho "apt-get $*" >> "{tmp_path}/apt.log"\n'
        f'case "$*" in *install*) touch "{tmp_path}/venv-installed";; esac\n',
    )
    executable(folder / "sudo", '#!/bin/sh\nexec "$@"\n')
    return folder


def python_without_venv(tmp_path: Path) -> Path:
    """A Python whose `-m venv` fails the way Debian's does until python3.X-venv is there."""
    return executable(
        tmp_path / "python3",
        f"""#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  if [ ! -e "{tmp_path}/venv-installed" ]; then
    mkdir -p "$3/bin"  # Debian leaves a half-made environment behind
    echo "The virtual environment was not created successfully because ensurepip is not" >&2
    echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv" >&2
    exit 1
  fi
  exec "{sys.executable}" -m venv --without-pip "$3"
fi
exec "{sys.executable}" "$@"
""",
    )


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{tmp_path / 'bin'}:/usr/bin:/bin"
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": path, **env},
    )


def test_make_venv_installs_debians_venv_package_when_venv_fails(tmp_path: Path) -> None:
    stub_bin(tmp_path)
    python = python_without_venv(tmp_path)
    result = run(
        ["bash", str(ROOT / "scripts" / "make-venv"), str(tmp_path / "env")],
        tmp_path,
        PYTHON=str(python),
    )
    assert result.returncode == 0, result.stderr
    assert f"needs Debian's python{VERSION}-venv package" in result.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log[0] == "apt-get update -q"
    assert log[1].startswith("apt-get install")
    assert log[1].endswith(f"python{VERSION}-venv")
    assert (tmp_path / "env" / "pyvenv.cfg").exists()


def test_make_venv_without_apt_get_says_what_to_install(tmp_path: Path) -> None:
    stub_bin(tmp_path)
    (tmp_path / "bin" / "apt-get").unlink()
    python = python_without_venv(tmp_path)
    # Only the stubs and the basic tools: no apt-get anywhere on this PATH.
    tools = tmp_path / "bin"
    for tool in ("rm", "id", "mkdir", "dirname"):
        os.symlink(shutil.which(tool) or f"/bin/{tool}", tools / tool)
    result = subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "make-venv"), str(tmp_path / "env")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": str(tools), "PYTHON": str(python)},
    )
    assert result.returncode == 1
    assert f"apt-get install python{VERSION}-venv" in result.stderr
    assert not (tmp_path / "env").exists()  # the half-made environment is gone


def test_make_venv_refuses_a_python_older_than_3_11(tmp_path: Path) -> None:
    stub_bin(tmp_path)
    old = executable(
        tmp_path / "python3.9",
        '#!/bin/sh\ncase "$1" in -c) exit 1;; -V) echo "Python 3.9.2";; esac\n',
    )
    result = run(
        ["bash", str(ROOT / "scripts" / "make-venv"), str(tmp_path / "env")],
        tmp_path,
        PYTHON=str(old),
    )
    assert result.returncode == 1
    assert "needs Python 3.11 or newer" in result.stderr
    assert "Python 3.9.2" in result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_quickstart_passes_its_arguments_to_pullcheck_run(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "pullcheck-quickstart", checkout)
    shutil.copy(ROOT / "scripts" / "make-venv", checkout / "scripts")
    (checkout / "pyproject.toml").write_text("")
    os.utime(checkout / "pyproject.toml", (0, 0))  # older than the install stamp below
    # An environment that is there and installed: the script goes straight to `pullcheck run`.
    (checkout / ".venv" / "bin").mkdir(parents=True)
    executable(checkout / ".venv" / "bin" / "python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    executable(
        checkout / ".venv" / "bin" / "pullcheck", '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n'
    )
    (checkout / ".venv" / ".pullcheck-installed").touch()
    stub_bin(tmp_path)
    result = run(
        [str(checkout / "pullcheck-quickstart"), "--mode", "hold", "--config", "my config.yaml"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[run]",
        "[--mode]",
        "[hold]",
        "[--config]",
        "[my config.yaml]",
    ]
    assert "installing" not in result.stderr
