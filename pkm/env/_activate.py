"""The activation scripts pkm writes into a venv's bin/: bash/zsh, fish, csh/tcsh, PowerShell.

Each sets VIRTUAL_ENV and VIRTUAL_ENV_PROMPT, puts the venv's bin/ first on
PATH, unsets PYTHONHOME, prefixes the prompt (unless VIRTUAL_ENV_DISABLE_PROMPT
is set), and defines `deactivate`, which restores all of it. Activating a
second venv first deactivates the current one (`deactivate nondestructive`).
The venv's path and prompt are quoted for each shell here, never interpolated
raw into code.
"""

from __future__ import annotations

import os

__all__ = ["activation_scripts"]


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _fish(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ps(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_BASH = """\
# Activates the virtual environment {venv_comment} in bash or zsh. Written by pkm.
# Use it with `source {bin_comment}/activate`: run as a program it would change nothing.

if [ "${{BASH_SOURCE-}}" = "$0" ]; then
    echo "this script must be sourced: source $0" >&2
    exit 2
fi

deactivate () {{
    # Put back exactly what activation changed (set-but-empty counts as set).
    if [ "${{_OLD_VIRTUAL_PATH+set}}" = set ]; then
        PATH="$_OLD_VIRTUAL_PATH"
        export PATH
        unset _OLD_VIRTUAL_PATH
    fi
    if [ "${{_OLD_VIRTUAL_PYTHONHOME+set}}" = set ]; then
        PYTHONHOME="$_OLD_VIRTUAL_PYTHONHOME"
        export PYTHONHOME
        unset _OLD_VIRTUAL_PYTHONHOME
    fi
    if [ "${{_OLD_VIRTUAL_PS1+set}}" = set ]; then
        PS1="$_OLD_VIRTUAL_PS1"
        unset _OLD_VIRTUAL_PS1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    hash -r 2>/dev/null
    if [ "${{1-}}" != nondestructive ]; then
        unset -f deactivate
    fi
}}

deactivate nondestructive

VIRTUAL_ENV={venv}
VIRTUAL_ENV_PROMPT={prompt}
export VIRTUAL_ENV VIRTUAL_ENV_PROMPT

_OLD_VIRTUAL_PATH="$PATH"
PATH="$VIRTUAL_ENV/{bin}:$PATH"
export PATH

if [ "${{PYTHONHOME+set}}" = set ]; then
    _OLD_VIRTUAL_PYTHONHOME="$PYTHONHOME"
    unset PYTHONHOME
fi

if [ -z "${{VIRTUAL_ENV_DISABLE_PROMPT-}}" ]; then
    _OLD_VIRTUAL_PS1="${{PS1-}}"
    PS1="($VIRTUAL_ENV_PROMPT) ${{PS1-}}"
fi

# Forget remembered command locations, so `python` now means this venv's.
hash -r 2>/dev/null
"""

_FISH = """\
# Activates the virtual environment {venv_comment} in fish. Written by pkm.
# Use it with `source {bin_comment}/activate.fish`.

function deactivate --description "Leave the virtual environment"
    if set -q _OLD_VIRTUAL_PATH
        set -gx PATH $_OLD_VIRTUAL_PATH
        set -e _OLD_VIRTUAL_PATH
    end
    if set -q _OLD_VIRTUAL_PYTHONHOME
        set -gx PYTHONHOME $_OLD_VIRTUAL_PYTHONHOME
        set -e _OLD_VIRTUAL_PYTHONHOME
    end
    if functions -q _pkm_old_fish_prompt
        functions -e fish_prompt
        functions -c _pkm_old_fish_prompt fish_prompt
        functions -e _pkm_old_fish_prompt
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

deactivate nondestructive

set -gx VIRTUAL_ENV {venv}
set -gx VIRTUAL_ENV_PROMPT {prompt}
set -gx _OLD_VIRTUAL_PATH $PATH
set -gx PATH "$VIRTUAL_ENV/{bin}" $PATH

if set -q PYTHONHOME
    set -gx _OLD_VIRTUAL_PYTHONHOME $PYTHONHOME
    set -e PYTHONHOME
end

if not set -q VIRTUAL_ENV_DISABLE_PROMPT; and functions -q fish_prompt
    functions -c fish_prompt _pkm_old_fish_prompt
    function fish_prompt
        # Hand the last command's status on to the old prompt, which may show it.
        set -l last_status $status
        printf "(%s) " $VIRTUAL_ENV_PROMPT
        function __pkm_status
            return $argv[1]
        end
        __pkm_status $last_status
        _pkm_old_fish_prompt
    end
end
"""

_CSH = """\
# Activates the virtual environment {venv_comment} in csh or tcsh. Written by pkm.
# Use it with `source {bin_comment}/activate.csh`.

# One line, and `test ... &&` rather than `if (...) cmd`: csh substitutes variables of a
# one-line `if` before testing, so an unset variable there would be an error.
alias deactivate 'test $?_OLD_VIRTUAL_PATH != 0 && setenv PATH "$_OLD_VIRTUAL_PATH:q" && unset _OLD_VIRTUAL_PATH; test $?_OLD_VIRTUAL_PYTHONHOME != 0 && setenv PYTHONHOME "$_OLD_VIRTUAL_PYTHONHOME:q" && unset _OLD_VIRTUAL_PYTHONHOME; test $?_OLD_VIRTUAL_PROMPT != 0 && set prompt="$_OLD_VIRTUAL_PROMPT:q" && unset _OLD_VIRTUAL_PROMPT; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; test "\\!:*" != "nondestructive" && unalias deactivate'

deactivate nondestructive

setenv VIRTUAL_ENV {venv}
setenv VIRTUAL_ENV_PROMPT {prompt}
set _OLD_VIRTUAL_PATH="$PATH:q"
setenv PATH "$VIRTUAL_ENV/{bin}:$PATH:q"

if ($?PYTHONHOME) then
    set _OLD_VIRTUAL_PYTHONHOME="$PYTHONHOME:q"
    unsetenv PYTHONHOME
endif

if ($?prompt) then
    if (! $?VIRTUAL_ENV_DISABLE_PROMPT) then
        set _OLD_VIRTUAL_PROMPT="$prompt:q"
        set prompt="($VIRTUAL_ENV_PROMPT) $prompt:q"
    endif
endif

rehash
"""

_PS1 = """\
# Activates the virtual environment {venv_comment} in PowerShell. Written by pkm.
# Use it with `. {bin_comment}/Activate.ps1`.

function global:deactivate([switch] $NonDestructive) {{
    if (Test-Path variable:global:_OLD_VIRTUAL_PATH) {{
        $env:PATH = $global:_OLD_VIRTUAL_PATH
        Remove-Variable -Name _OLD_VIRTUAL_PATH -Scope global
    }}
    if (Test-Path variable:global:_OLD_VIRTUAL_PYTHONHOME) {{
        $env:PYTHONHOME = $global:_OLD_VIRTUAL_PYTHONHOME
        Remove-Variable -Name _OLD_VIRTUAL_PYTHONHOME -Scope global
    }}
    if (Test-Path function:global:_pkm_old_prompt) {{
        Set-Item -Path function:global:prompt -Value (Get-Item function:global:_pkm_old_prompt).ScriptBlock
        Remove-Item -Path function:global:_pkm_old_prompt
    }}
    Remove-Item -Path env:VIRTUAL_ENV, env:VIRTUAL_ENV_PROMPT -ErrorAction SilentlyContinue
    if (-not $NonDestructive) {{
        Remove-Item -Path function:global:deactivate
    }}
}}

deactivate -NonDestructive

$env:VIRTUAL_ENV = {venv}
$env:VIRTUAL_ENV_PROMPT = {prompt}
$global:_OLD_VIRTUAL_PATH = $env:PATH
$env:PATH = (Join-Path $env:VIRTUAL_ENV {bin}) + [System.IO.Path]::PathSeparator + $env:PATH

if (Test-Path env:PYTHONHOME) {{
    $global:_OLD_VIRTUAL_PYTHONHOME = $env:PYTHONHOME
    Remove-Item -Path env:PYTHONHOME
}}

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT -and (Test-Path function:global:prompt)) {{
    Set-Item -Path function:global:_pkm_old_prompt -Value (Get-Item function:global:prompt).ScriptBlock
    function global:prompt {{
        Write-Host -NoNewline "($env:VIRTUAL_ENV_PROMPT) "
        _pkm_old_prompt
    }}
}}
"""


def activation_scripts(venv: str | os.PathLike[str], prompt: str, *, bin_name: str = "bin") -> dict[str, str]:
    """File name -> text of each activation script for the venv at absolute path `venv`."""
    venv = os.fspath(venv)
    if any(c in str(venv) + prompt for c in "\n\r\0"):
        raise ValueError("a venv path or prompt with a line break cannot be written into shell scripts")
    comment = {"venv_comment": str(venv), "bin_comment": f"{venv}/{bin_name}"}
    return {
        "activate": _BASH.format(venv=_sh(str(venv)), prompt=_sh(prompt), bin=bin_name, **comment),
        "activate.fish": _FISH.format(venv=_fish(str(venv)), prompt=_fish(prompt), bin=bin_name, **comment),
        "activate.csh": _CSH.format(venv=_sh(str(venv)), prompt=_sh(prompt), bin=bin_name, **comment),
        "Activate.ps1": _PS1.format(venv=_ps(str(venv)), prompt=_ps(prompt), bin=_ps(bin_name), **comment),
    }
