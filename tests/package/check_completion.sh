#!/bin/bash
# The bash completion (dist/bash-completion/smtptls) in a bash that loaded
# it: it completes a command, every option of a command's --help, an
# option's fixed values and an interface name.
#   check_completion.sh SMTPTLS COMPLETION
set -u
bin=$1
comp=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ln -s "$(readlink -f "$bin")" "$dir/smtptls"
cp "$(dirname "$(readlink -f "$bin")")/smtptls-cluster" "$dir/" 2>/dev/null

PATH="$dir:$PATH" bash --norc --noprofile -c '
fail=0
source "$1" || exit 1
complete -p smtptls >/dev/null || { echo "FAIL no completion registered"; exit 1; }
t() {
	want=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_smtptls
	got=" ${COMPREPLY[*]} "
	for w in $want; do
		case $got in
		*" $w "*) ;;
		*) echo "FAIL [$*] -> [${COMPREPLY[*]}], $w missing"; fail=1 ;;
		esac
	done
}
t "analyze" smtptls ana
t "live report merge history" smtptls ""
t "--interface --interval" smtptls live --inter
t "--stats" smtptls analyze --sta
t "hour day" smtptls analyze --bucket ""
t "lo" smtptls live -i l
# every option that each command names in its --help
for cmd in analyze live report merge history; do
	opts=$(smtptls $cmd --help | sed -n "s/^ \{1,8\}\(-[^ ].*\)/\1/p" | sed "s/  .*//" | grep -o -- "--\?[A-Za-z0-9][A-Za-z0-9-]*" | grep "^-")
	[ -n "$opts" ] || { echo "FAIL no option read from $cmd --help"; fail=1; }
	t "$opts" smtptls $cmd -
done
# a command that is not one completes nothing
COMP_WORDS=(smtptls zzz); COMP_CWORD=1; _smtptls
[ ${#COMPREPLY[@]} -eq 0 ] || { echo "FAIL smtptls zzz -> ${COMPREPLY[*]}"; fail=1; }
[ $fail = 0 ] && echo "completion: ok"
exit $fail
' check "$comp"
