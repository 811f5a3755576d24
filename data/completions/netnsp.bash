# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for netnsp(1): commands, options, profile names.
#
# Profile names come from the config the command line names (--config, else
# $NETNSP_CONFIG, else /etc/netns-proxy/netnsp.conf), when the user may read
# it; commands come from `netnsp --help`, so new commands complete at once.
# Standalone: needs no bash-completion helper functions.

# _netnsp_config: the config file the words typed so far name.
_netnsp_config()
{
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--config | -c)
			# "--config=F" reaches us as "--config" "=" "F" (COMP_WORDBREAKS).
			[[ ${COMP_WORDS[i + 1]-} == = ]] && ((i++))
			printf '%s\n' "${COMP_WORDS[i + 1]-}"
			return
			;;
		--config=*)
			printf '%s\n' "${w#--config=}"
			return
			;;
		esac
	done
	printf '%s\n' "${NETNSP_CONFIG:-/etc/netns-proxy/netnsp.conf}"
}

# _netnsp_profiles: every "[profile NAME]" section of that config.
_netnsp_profiles()
{
	local f
	f=$(_netnsp_config)
	f=${f/#\~/$HOME}
	[[ -r $f ]] || return 0
	awk '
		/^[ \t]*\[[ \t]*profile[ \t]+[^]]*\]/ {
			sub(/^[ \t]*\[[ \t]*profile[ \t]+/, "")
			sub(/[ \t]*\].*$/, "")
			print
		}' "$f" 2>/dev/null
}

# _netnsp_commands: the command table of `netnsp --help`.
_netnsp_commands()
{
	local cmds
	cmds=$("${COMP_WORDS[0]}" --help 2>/dev/null |
		awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
	printf '%s\n' "${cmds:-daemon status exec down reload attach gc id}"
}

_netnsp()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local globals="--config --state-dir --run-dir --verbose --quiet --help --version"
	local i w cmd='' at=0
	COMPREPLY=()

	# The command is the first word that is neither an option nor its value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--config | --state-dir | --run-dir | -c | -s | -r)
			[[ ${COMP_WORDS[i + 1]-} == = ]] && ((i++))
			((i++))
			;;
		-*) ;;
		*)
			cmd=$w
			at=$i
			break
			;;
		esac
	done
	[[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}
	[[ $cur == = ]] && cur=''

	if [[ -z $cmd ]]; then
		case $prev in
		--config | -c)
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return
			;;
		--state-dir | --run-dir | -s | -r)
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$globals" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_netnsp_commands)" -- "$cur")
		fi
		return
	fi

	local n=$((COMP_CWORD - at))
	case $cmd in
	exec)
		for ((i = at + 1; i < COMP_CWORD; i++)); do
			if [[ ${COMP_WORDS[i]} == -- ]]; then
				if ((i == COMP_CWORD - 1)); then
					mapfile -t COMPREPLY < <(compgen -c -- "$cur")
				else
					mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				fi
				return
			fi
		done
		if ((n == 1)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_netnsp_profiles)" -- "$cur")
		elif ((n == 2)); then
			COMPREPLY=(--)
		fi
		;;
	down)
		mapfile -t COMPREPLY < <(compgen -W "$(_netnsp_profiles)" -- "$cur")
		;;
	gc)
		mapfile -t COMPREPLY < <(compgen -W "--all $(_netnsp_profiles)" -- "$cur")
		;;
	attach)
		if ((n == 1)); then
			mapfile -t COMPREPLY < <(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur")
		elif ((n == 2)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_netnsp_profiles)" -- "$cur")
		fi
		;;
	status)
		mapfile -t COMPREPLY < <(compgen -W "--json" -- "$cur")
		;;
	reload)
		mapfile -t COMPREPLY < <(compgen -W "--dry-run" -- "$cur")
		;;
	esac
}
complete -F _netnsp netnsp
