# covsettle.bash: bash completion for covsettle(1): its commands, each
# command's options, the values of --invalid, --report, --report-option
# and --combine,
# commands for --trigger and --coverage, files for --rcfile and
# --data-file, directories for DIR (wait, gather) and paths for check.
# Installed as /usr/share/bash-completion/completions/covsettle.

_covsettle_opts()
{
	local common='-p --pattern -q --quiet -v --verbose --json -h --help'
	case $1 in
	check) echo "$common" ;;
	wait) echo "$common -n --expect -d --debounce -T --timeout --new-only
		-t --trigger --poll --poll= --ignore-writers --invalid=" ;;
	gather) echo "$common -n --expect -d --debounce -T --timeout
		--new-only -t --trigger --poll --poll= --ignore-writers
		--invalid= --coverage --rcfile --data-file --report
		--report-option --fail-under --no-keep --no-wait-lock --combine=" ;;
	esac
}

_covsettle()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' opt='' cmd=${COMP_WORDS[1]}
	local IFS=$' \t\n'
	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W 'wait check gather --help --version' \
			-- "$cur"))
		return
	fi

	# The option whose value is being typed. bash splits --opt=value
	# into '--opt' '=' 'value' when '=' is in COMP_WORDBREAKS.
	if [[ $cur == = ]]; then
		opt=$prev
		cur=''
	elif [[ $prev == = ]] && ((COMP_CWORD > 2)); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		opt=${cur%%=*}
		cur=${cur#*=}
	else
		case $prev in
		# options whose value may be the next word
		-p | --pattern | -n | --expect | -d | --debounce | -T | \
			--timeout | -t | --trigger | --invalid | --coverage | \
			--rcfile | --data-file | --report | --report-option | \
			--fail-under | --combine)
			opt=$prev
			;;
		esac
	fi

	# --report FORMAT=PATH: a path after the format.
	if [[ $prev == = && $COMP_CWORD -gt 3 &&
		${COMP_WORDS[COMP_CWORD - 3]} == --report ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi

	case $opt in
	--invalid)
		COMPREPLY=($(compgen -W 'fail quarantine' -- "$cur"))
		return
		;;
	--report)
		COMPREPLY=($(compgen -W 'text json html xml lcov' -- "$cur"))
		return
		;;
	--combine)
		COMPREPLY=($(compgen -W 'auto native coverage' -- "$cur"))
		return
		;;
	--report-option) # coverage.py's report options
		COMPREPLY=($(compgen -W '--show-missing --skip-covered
			--skip-empty --precision= --include= --omit= --sort=
			--pretty-print --show-contexts --title= --contexts=' \
			-- "$cur"))
		[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		return
		;;
	--rcfile | --data-file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	-t | --trigger | --coverage)
		COMPREPLY=($(compgen -c -- "$cur"))
		return
		;;
	-p | --pattern | -n | --expect | -d | --debounce | -T | --timeout | \
		--poll | --fail-under)
		return # a value to type: nothing to offer
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_covsettle_opts "$cmd")" -- "$cur"))
		[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	case $cmd in
	wait | gather)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	check)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	esac
}

complete -F _covsettle covsettle
