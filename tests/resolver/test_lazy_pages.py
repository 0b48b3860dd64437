"""The resolver over lazy pages (files made per version), and its package loading only what is used."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

from packaging.requirements import Requirement
from packaging.version import Version

from pkm.index import FakeIndex, ProjectPage, parse_project_page
from pkm.index._lazy import LazyPage
from pkm.resolver import Target, resolve
from pkm.resolver._model import _newest_first, _Project, has_files

SHA = "0123456789abcdef" * 4


def json_page(project, *filenames):
    files = [{"filename": f, "url": f"https://files.example/{f}", "hashes": {"sha256": SHA}} for f in filenames]
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": files}).encode()
    return parse_project_page(body, content_type="application/vnd.pypi.simple.v1+json",
                              page_url=f"https://pypi.example/simple/{project}/", project=project,
                              index_url="https://pypi.example/simple/")


def test_a_project_reads_a_lazy_page_newest_first_and_makes_only_what_is_read():
    page = json_page("demo", "demo-1.0.tar.gz", "demo-10.0.tar.gz", "demo-2.0rc1.tar.gz", "demo-2.0.tar.gz",
                     "demo-2.0-py3-none-any.whl")
    project = _Project("demo", page)
    assert list(project.versions) == [Version("10.0"), Version("2.0"), Version("2.0rc1"), Version("1.0")]
    assert page._artifacts is None  # the whole page was not made
    files = project.versions[Version("2.0")]
    assert [a.filename for a in files] == ["demo-2.0.tar.gz", "demo-2.0-py3-none-any.whl"]
    assert has_files(page) and project.missing is None


def test_versions_sort_newest_first_as_packaging_orders_them():
    texts = ["1.0", "1.0.post1", "1.0a1", "1.0.dev0", "1!0.1", "0.9", "1.0+local", "1.1rc1"]
    versions = [Version(t) for t in texts]
    assert _newest_first(versions) == sorted(versions, reverse=True)


class LazyFakeIndex(FakeIndex):
    """The fake index, its pages served as PEP 691 JSON and read lazily (as from a real index)."""

    def project_page(self, name):
        page = super().project_page(name)
        if not isinstance(page, ProjectPage):
            return page
        files = [{"filename": a.filename, "url": "https://files.example/" + a.url[len("fake://"):],
                  "hashes": dict(a.hashes), "requires-python": a.requires_python,
                  "yanked": a.yanked if a.yanked else a.yanked is not None, "core-metadata": True}
                 for a in page.artifacts]
        body = json.dumps({"meta": {"api-version": "1.1"}, "name": page.name, "files": files}).encode()
        return parse_project_page(body, content_type="application/vnd.pypi.simple.v1+json",
                                  page_url=f"https://pypi.example/simple/{page.name}/", project=page.name,
                                  index_url=page.index_url)

    def core_metadata(self, artifact):
        return super().core_metadata(dataclasses.replace(artifact, url="fake://" + artifact.url[len("https://files.example/"):]))


def fill(index):
    index.add("app", "1.0", dependencies=["lib[fast]>=1", "old; python_version < '3'"])
    index.add("app", "2.0", dependencies=["lib>=9"], requires_python="<3")
    index.add("lib", "1.0", extras=["fast"], dependencies=["speed; extra == 'fast'"])
    index.add("lib", "1.5", extras=["fast"], dependencies=["speed; extra == 'fast'"], yanked="broken")
    index.add("speed", "0.1", filenames=["speed-0.1.tar.gz", "speed-0.1-py3-none-any.whl"])
    return index


def test_a_resolution_over_lazy_pages_matches_one_over_plain_pages():
    requirements = [Requirement("app")]
    plain = resolve(requirements, fill(FakeIndex()), Target.running())
    lazy_index = fill(LazyFakeIndex())
    assert isinstance(lazy_index.project_page("lib"), LazyPage)
    lazy = resolve(requirements, lazy_index, Target.running())
    assert lazy.versions() == plain.versions() == {"app": Version("1.0"), "lib": Version("1.0"),
                                                   "speed": Version("0.1")}
    assert [p.artifact.filename for p in lazy.packages] == [p.artifact.filename for p in plain.packages]
    assert [[f.filename for f in p.files] for p in lazy.packages] == [[f.filename for f in p.files]
                                                                      for p in plain.packages]


def test_importing_the_package_for_cli_choices_loads_neither_solver_nor_target():
    code = ("import sys; from pkm.resolver import PLATFORMS, PRERELEASE_POLICIES; "
            "print(sorted(PLATFORMS), PRERELEASE_POLICIES[0], 'pkm.resolver._provider' in sys.modules, "
            "'pkm.resolver._environment' in sys.modules); import pkm.resolver as r; print(r.resolve.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['linux', 'macos', 'windows'] if-necessary False False"
    assert out[1] == "pkm.resolver._resolve"
