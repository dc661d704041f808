# bash completion for cairn — installed as
# PREFIX/share/bash-completion/completions/cairn by `make install`.
#
# Nothing here lists commands or flags: they come from cairn itself, so the
# completion cannot drift from the command table.  `cairn --help` lists the
# commands, `cairn GROUP --help` a group's subcommands, `cairn CMD --help`
# a command's flags; names of containers, images, volumes and networks come
# from cairn's own listings.

# _cairn_help WORDS…: the --help text of a command path.
_cairn_help() {
  "${_cairn_bin:-cairn}" "$@" --help 2>&1
}

# The command words of a help text: the first word of the indented lines
# under "Commands:" and "Management commands:".
_cairn_commands() {
  _cairn_help "$@" | awk '
    /^[A-Za-z ]*[Cc]ommands:$/ { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  [a-z]/ { print $1 }'
}

# The flags a help text names (-x and --long forms).
_cairn_flags() {
  _cairn_help "$@" | grep -oE '(^|[ ,[])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[ ,[]*//' | sort -u
  echo --help
}

_cairn_objects() {
  local bin=${_cairn_bin:-cairn}
  case "$1" in
    container) "$bin" ps -a --format '{{.Names}}' 2>/dev/null ;;
    running) "$bin" ps --format '{{.Names}}' 2>/dev/null ;;
    image) "$bin" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>' ;;
    volume) "$bin" volume ls -q 2>/dev/null ;;
    network) "$bin" network ls --format '{{.Name}}' 2>/dev/null ;;
  esac
}

# _cairn_values CMD FLAG: the values FLAG of CMD takes, where they are a
# known set or objects cairn lists; return 1 when FLAG takes no value we
# can offer (then the usual completion goes on).
_cairn_values() {
  local cmd=$1 flag=$2
  case "$flag" in
    --network | --net)
      case "$cmd" in
        run | create) printf '%s\n' bridge host none; _cairn_objects network ;;
        *) _cairn_objects network ;;
      esac ;;
    -v | --volume) _cairn_objects volume; compgen -d -- "$cur" || true ;;
    --volumes-from | --link) _cairn_objects container ;;
    --restart) printf '%s\n' no always on-failure unless-stopped ;;
    --pull) printf '%s\n' always missing never ;;
    --runtime) printf '%s\n' cairn-runtime runc crun ;;
    --progress) printf '%s\n' auto plain tty ;;
    --platform) printf '%s\n' linux/amd64 ;;
    --type) printf '%s\n' container image volume network ;;
    --stop-signal | -s | --signal)
      [ "$flag" = -s ] && [ "$cmd" != kill ] && return 1
      printf 'SIG%s\n' HUP INT QUIT KILL USR1 USR2 TERM STOP CONT WINCH ;;
    --cap-add | --cap-drop)
      printf '%s\n' ALL AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_ADMIN \
        NET_BIND_SERVICE NET_RAW SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_CHROOT \
        SYS_PTRACE SYS_TIME ;;
    --security-opt) printf '%s\n' no-new-privileges seccomp=unconfined seccomp= apparmor= label= ;;
    -d | --driver)
      case "$cmd" in
        network) echo bridge ;;
        volume) echo local ;;
        *) return 1 ;;
      esac ;;
    --env-file | --cidfile | --iidfile | -i | --input | -o | --output | -f | --file)
      # -f is a file for build, a filter or format elsewhere
      case "$flag:$cmd" in
        -f:build | --file:build | -i:load | --input:load | -o:save | --output:save | \
          --env-file:* | --cidfile:* | --iidfile:*) compgen -f -- "$cur" || true ;;
        *) return 1 ;;
      esac ;;
    *) return 1 ;;
  esac
}

_cairn() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=${COMP_WORDS[COMP_CWORD - 1]:-}
  local _cairn_bin=${COMP_WORDS[0]}
  local -a path=()
  local i w skip=0
  # the command path: the words before the cursor that are not flags (the
  # global flags that take a value skip theirs)
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [ $skip = 1 ]; then skip=0; continue; fi
    case "$w" in
      --root | --run | --config | --runtime | --cni-path) [ ${#path[@]} = 0 ] && skip=1 ;;
      -*) ;;
      *) if [ ${#path[@]} -lt 2 ]; then path+=("$w"); fi ;;
    esac
  done
  local group=""
  case "${path[0]:-}" in
    container | image | network | volume | system) group=${path[0]} ;;
  esac
  # the value of a flag: its known values or the objects it names
  if [[ $prev == -* ]] && [ ${#path[@]} -gt 0 ]; then
    local vcmd=${path[0]} vals
    [ -n "$group" ] && [ "$group" != container ] && [ "$group" != image ] && vcmd=$group
    [ "$group" = container ] || [ "$group" = image ] && vcmd=${path[1]:-}
    if vals=$(_cairn_values "$vcmd" "$prev"); then
      mapfile -t COMPREPLY < <(compgen -W "$vals" -- "$cur")
      return 0
    fi
  fi
  if [[ $cur == -* ]]; then
    if [ ${#path[@]} = 0 ]; then
      mapfile -t COMPREPLY < <(compgen -W "$(_cairn_flags)" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$(_cairn_flags "${path[@]}")" -- "$cur")
    fi
    return
  fi
  if [ ${#path[@]} = 0 ]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_cairn_commands)" -- "$cur")
    return
  fi
  if [ -n "$group" ] && [ ${#path[@]} = 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_cairn_commands "$group")" -- "$cur")
    return
  fi
  # arguments: the objects the command acts on
  local cmd=${path[0]} kind=""
  [ -n "$group" ] && cmd=${path[1]}
  case "$group:$cmd" in
    volume:*) kind=volume ;;
    network:connect | network:disconnect)
      # NETWORK then CONTAINER
      local n=0
      for ((i = 1; i < COMP_CWORD; i++)); do [[ ${COMP_WORDS[i]} != -* ]] && n=$((n + 1)); done
      if [ $n -le 2 ]; then kind=network; else kind=container; fi ;;
    network:*) kind=network ;;
    image:* | :images | :pull | :push | :rmi | :tag | :history | :save | :run | :create) kind=image ;;
    :exec | :attach | :top | :stats | :pause | :stop | :kill) kind=running ;;
    :inspect) mapfile -t COMPREPLY < <(compgen -W "$(_cairn_objects container; _cairn_objects image;
      _cairn_objects volume; _cairn_objects network)" -- "$cur"); return ;;
    system:* | :login | :logout | :search | :events | :info | :version | :load | :import) kind="" ;;
    *) kind=container ;;
  esac
  [ -n "$kind" ] && mapfile -t COMPREPLY < <(compgen -W "$(_cairn_objects "$kind")" -- "$cur")
  return 0
}

complete -F _cairn cairn
