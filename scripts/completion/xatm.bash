# Bash completion for xatm: command names, each command's options, the
# global options, and file names after --config. Installed as
# share/bash-completion/completions/xatm; to try it from the source tree:
#   source scripts/completion/xatm.bash
# scripts/check-cli-docs.sh checks it against cli/commands/*.cc.

_xatm() {
  local cur prev words cword
  COMPREPLY=()
  words=("${COMP_WORDS[@]}")
  cword=$COMP_CWORD
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=""
  if ((cword > 0)); then prev=${COMP_WORDS[cword - 1]}; fi
  # --option=VALUE: bash splits at '=' (COMP_WORDBREAKS).
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && ((cword > 1)); then
    prev=${COMP_WORDS[cword - 2]}
  fi

  local commands="init create-account balance transfer recover in-doubt resolve log serve nodes bench"
  local global_opts="--config --log-level --metrics-listen --help -h"

  # Option values.
  case "$prev" in
    --config)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
      ;;
    --log-level)
      mapfile -t COMPREPLY < <(compgen -W "trace debug info warn error off" -- "$cur")
      return 0
      ;;
    --protocol)
      mapfile -t COMPREPLY < <(compgen -W "auto 2pc saga" -- "$cur")
      return 0
      ;;
    --mode)
      mapfile -t COMPREPLY < <(compgen -W "2pc raw local saga" -- "$cur")
      return 0
      ;;
    --metrics-listen | --balance | --from | --to | --amount | --key | \
      --grace | --reason | --clients | --seconds | --accounts | \
      --account-prefix)
      return 0
      ;;
  esac

  # The command: the first word that is neither an option nor the value
  # of a global option that takes one.
  local cmd="" i w
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    case "$w" in
      --config | --log-level | --metrics-listen)
        ((i++))
        if [[ ${words[i]:-} == "=" ]]; then ((i++)); fi
        ;;
      -* | "=") ;;
      *)
        cmd=$w
        break
        ;;
    esac
  done

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
    fi
    return 0
  fi

  # Each command's options (cli/commands/*.cc); one line per command.
  local opts="" words_after=""
  case "$cmd" in
    init) opts="" ;;
    create-account) opts="--balance" ;;
    balance) opts="--json" ;;
    transfer) opts="--from --to --amount --key --protocol --json" ;;
    recover) opts="--grace --dry-run --all-nodes --json" ;;
    in-doubt) opts="--all-nodes --json" ;;
    resolve) opts="--commit --rollback --force --retry --mark-compensated --reason --json" ;;
    log) opts="--json" ;;
    serve) opts="" ;;
    nodes) opts="--json" ;;
    bench) opts="--clients --seconds --accounts --account-prefix --mode --json" ;;
    *) return 0 ;;
  esac
  if [[ $cmd == log ]]; then words_after="verify dump"; fi

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$opts $global_opts" -- "$cur")
  elif [[ -n $words_after ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$words_after" -- "$cur")
  fi
  return 0
}

complete -F _xatm xatm
