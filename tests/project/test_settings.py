"""Settings precedence (flag > env > [tool.pkm] > user config > default) and bad config files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkm.errors import InputFileError, UsageError
from pkm.project.settings import DEFAULT_INDEX_URL, load_settings


@pytest.fixture
def where(tmp_path):
    """A project directory and a user config home, both empty."""
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return project, environ, tmp_path / "config" / "pkm" / "config.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults(where, tmp_path):
    project, environ, _ = where
    s = load_settings(cwd=project, environ=environ)
    assert s.index_url == DEFAULT_INDEX_URL
    assert s.index_urls == (DEFAULT_INDEX_URL,)
    assert s.home == str(tmp_path / "cache" / "pkm")
    assert s.offline is False and s.http_timeout == 30.0
    assert set(s.sources.values()) == {"default"}


def test_each_layer_overrides_the_one_below(where):
    project, environ, user = where
    write(user, 'index-url = "https://user.example/simple/"\noffline = true\nhttp-timeout = 5\n')
    s = load_settings(cwd=project / "sub", environ=environ)
    assert (s.index_url, s.offline, s.http_timeout) == ("https://user.example/simple/", True, 5.0)
    assert s.sources["index-url"] == str(user)

    pyproject = write(project / "pyproject.toml",
                      '[project]\nname = "p"\n\n[tool.pkm]\nindex-url = "https://project.example/simple/"\n')
    s = load_settings(cwd=project / "sub", environ=environ)
    assert s.index_url == "https://project.example/simple/"
    assert s.offline is True  # still from the user config
    assert s.sources["index-url"] == f"{pyproject} [tool.pkm]"

    environ = {**environ, "PKM_INDEX_URL": "https://env.example/simple/", "PKM_OFFLINE": "0"}
    s = load_settings(cwd=project, environ=environ)
    assert (s.index_url, s.offline) == ("https://env.example/simple/", False)
    assert s.sources["offline"] == "PKM_OFFLINE"

    s = load_settings({"index-url": "https://cli.example/simple/"}, cwd=project, environ=environ)
    assert s.index_url == "https://cli.example/simple/"
    assert s.sources["index-url"] == "--index-url"


def test_extra_indexes_are_searched_first_in_the_order_given(where):
    project, environ, _ = where
    s = load_settings({"extra-index-url": ("https://a/simple/", "https://b/simple/")}, cwd=project, environ=environ)
    assert s.index_urls == ("https://a/simple/", "https://b/simple/", DEFAULT_INDEX_URL)
    s = load_settings(cwd=project, environ={**environ, "PKM_EXTRA_INDEX_URL": "https://x/ https://y/"})
    assert s.extra_index_url == ("https://x/", "https://y/")


def test_pkm_home_and_relative_paths(where, tmp_path):
    project, environ, _ = where
    write(project / "pyproject.toml", '[tool.pkm]\nfind-links = ["wheels", "https://example.org/links.html"]\n')
    s = load_settings(cwd=project / "sub", environ={**environ, "PKM_HOME": str(tmp_path / "h")})
    assert s.home == str(tmp_path / "h")
    assert s.find_links == (str((project / "wheels").resolve()), "https://example.org/links.html")


def test_malformed_toml_names_file_and_line(where):
    project, environ, _ = where
    pyproject = write(project / "pyproject.toml", '[project]\nname = "p"\n[tool.pkm]\nindex-url = https://x\n')
    with pytest.raises(InputFileError) as info:
        load_settings(cwd=project, environ=environ)
    error = info.value
    assert error.exit_code == 2
    assert (error.path, error.line) == (str(pyproject), 4)
    assert error.what.startswith(f"{pyproject}:4: invalid TOML: ")


def test_wrong_type_names_the_key_and_its_line(where):
    project, environ, user = where
    write(user, '# my settings\n\noffline = "yes"\n')
    with pytest.raises(InputFileError) as info:
        load_settings(cwd=project, environ=environ)
    assert info.value.what == f"{user}:3: `offline` must be true or false, not a string"
    assert info.value.hint


def test_bad_environment_value_is_a_usage_error(where):
    project, environ, _ = where
    with pytest.raises(UsageError, match="PKM_OFFLINE='maybe' is not a boolean"):
        load_settings(cwd=project, environ={**environ, "PKM_OFFLINE": "maybe"})
    for bad in ("soon", "0", "-5", "nan", "inf"):
        with pytest.raises(UsageError, match=f"PKM_HTTP_TIMEOUT='{bad}' is not a positive number"):
            load_settings(cwd=project, environ={**environ, "PKM_HTTP_TIMEOUT": bad})


def test_unknown_user_setting_warns_but_tool_pkm_tables_are_left_alone(where):
    project, environ, user = where
    write(user, "index_url = 'https://typo/'\n")
    write(project / "pyproject.toml", "[tool.pkm]\ntasks = {test = 'pytest'}\n")
    warnings = []
    s = load_settings(cwd=project, environ=environ, warn=warnings.append)
    assert s.index_url == DEFAULT_INDEX_URL
    assert warnings == [f"{user}: unknown setting `index_url` ignored "
                        "(known: index-url, extra-index-url, find-links, offline, home, http-timeout)"]


def test_config_command_shows_values_and_sources(run_pkm, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.pkm]\nindex-url = "https://project.example/simple/"\n')
    proc = run_pkm("config", "--extra-index-url", "https://extra.example/simple/", env={"PKM_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"index-url        https://project.example/simple/  ({tmp_path / 'pyproject.toml'} [tool.pkm])" in lines
    assert "extra-index-url  https://extra.example/simple/  (--extra-index-url)" in lines
    assert "offline          true  (PKM_OFFLINE)" in lines


def test_config_command_with_a_broken_pyproject_exits_2(run_pkm, tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.pkm\n")
    proc = run_pkm("config")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {tmp_path / 'pyproject.toml'}:1: invalid TOML")
    assert "hint:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("text", [
    '[tool.pkm]\noffline = true\n',
    '[tool."pkm"]\noffline = true\n',
    '[ tool . pkm ]\noffline = true\n',
    'tool.pkm.offline = true\n',
    '[tool]\npkm.offline = true\n',
    '[tool]\npkm = { offline = true }\n',
    'tool = { pkm = { offline = true } }\n',
    '[tool.pkm.tasks]\ntest = "pytest"\n[tool.pkm]\noffline = true\n',
])
def test_tool_pkm_is_read_in_every_toml_spelling(where, text):
    # A pyproject.toml whose [tool.pkm] cannot hold a key is not parsed for settings (quick
    # commands skip the TOML parser); every way of giving it one must still be read.
    project, environ, _ = where
    write(project / "pyproject.toml", text + '[project]\nname = "p"\nversion = "1"\n')
    assert load_settings(cwd=project, environ=environ).offline is True


def test_subtables_of_tool_pkm_set_no_setting(where):
    project, environ, _ = where
    write(project / "pyproject.toml", '[project]\nname = "p"\n[tool.pkm.tasks]\noffline = "echo"\n'
                                      '[[tool.pkm.extensions]]\noffline = 1\n')
    s = load_settings(cwd=project, environ=environ)
    assert s.offline is False and s.sources["offline"] == "default"
