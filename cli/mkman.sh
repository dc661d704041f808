#!/bin/bash
# cli/mkman.sh CAIRN OUTDIR — man pages for cairn from its own --help:
# cairn.1, and cairn-CMD.1 / cairn-GROUP-CMD.1 for every command (docker's
# names: docker-run.1, docker-network-create.1).  The help texts are the
# one source, so the pages cannot drift from the flags; `make man` runs
# this and `make install` installs the result.
set -euo pipefail
BIN=$1
OUT=$2
mkdir -p "$OUT"

# The command words under "Commands:" / "Management commands:" of a help.
commands() {
  "$BIN" "$@" --help | awk '
    /^[A-Za-z ]*[Cc]ommands:$/ { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  [a-z]/ { print $1 }'
}

# Escape for roff: backslashes, and a leading . or ' of a line.
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/-/\\-/g'; }

# page NAME WORDS…: one page from `cairn WORDS… --help`.  A help text is:
# Usage lines, a blank, a description, then titled sections ("Options:",
# "Commands:") of indented "  -x, --flag ARG   text" lines.
page() {
  local name=$1
  shift
  local help title
  help=$("$BIN" "$@" --help)
  title=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  {
    printf '.TH %s 1 "" "cairn" "cairn manual"\n' "$title"
    echo ".SH NAME"
    printf '%s \\- %s\n' "$name" "$(echo "$help" | awk 'NR > 1 && /^$/ { getline; print; exit }' | esc)"
    echo "$help" | awk '
      function flush() { if (text != "") { print text; text = "" } }
      NR == 1 || (usage && /^ /) { if (NR == 1) { print ".SH SYNOPSIS"; print ".nf"; usage = 1 }
                                   sub(/^Usage: +/, ""); sub(/^ +/, ""); print; next }
      usage { usage = 0; print ".fi"; print ".SH DESCRIPTION"; next }
      /^[A-Za-z][A-Za-z ]*:$/ { flush(); sub(/:$/, ""); print ".SH " toupper($0); sect = 1; next }
      sect && /^         *[^ ]/ && text != "" { sub(/^ +/, ""); text = text " " $0; next }
      sect && /^  +[^ ]/ {
        flush()
        line = $0; sub(/^ +/, "", line)
        # the term is up to a run of two spaces; the rest describes it
        if (match(line, /  +/)) { term = substr(line, 1, RSTART - 1); text = substr(line, RSTART + RLENGTH) }
        else { term = line; text = "" }
        print ".TP"; print ".B " term; next
      }
      /^$/ { flush(); print ".PP"; next }
      { flush(); print }
      END { flush() }' | sed -e '/^\.\(SH\|TP\|B\|PP\|nf\|fi\)\b/!{' -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e '}' \
                           -e '/^\.B /s/-/\\-/g'
    echo ".SH SEE ALSO"
    echo "cairn(1)"
  } >"$OUT/$name.1"
}

page cairn
for c in $(commands); do
  sub=$(commands "$c" 2>/dev/null || true)
  if [ -n "$sub" ]; then
    page "cairn-$c" "$c"
    for s in $sub; do page "cairn-$c-$s" "$c" "$s"; done
  else
    page "cairn-$c" "$c"
  fi
done
