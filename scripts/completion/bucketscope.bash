# SPDX-License-Identifier: MIT
# bash completion for bucketscope and its commands (installed under
# share/bash-completion/completions; the options are those of each
# command's --help, see the man pages in docs/man/).

_bucketscope_record_opts="-l --lib -o --output -p --pid -b --ring-size -d --duration -i --interval -T --timestamp --json -v --verbose -h --help -V --version --"
_bucketscope_report_opts="--format --csv-timeline --tick --csv-deletes --svg --pid --map --since --until --top --allow-truncated --ctf-timeout --no-progress --stats --raw -m --milliseconds --follow -i --interval -T --timestamp --json --live-ticks -j --jobs -h --help -V --version"
_bucketscope_gosites_opts="-v -h --help -V --version"
_bucketscope_gorecord_opts="-o --output -p --pid -d --duration -v --verbose -h --help -V --version --"

# _bucketscope_sub SUB: complete the words of `bucketscope SUB ...` (or of
# bucketscope-SUB), from COMP_WORDS[first] on.
_bucketscope_sub() {
    local sub=$1 first=$2 cur prev i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    # After "--" (record, gorecord): the command and its own arguments.
    for ((i = first; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if ((i == COMP_CWORD - 1)); then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        fi
    done
    case $sub:$prev in
    record:-l | record:--lib | *:-o | *:--output | report:--csv-timeline | report:--csv-deletes | report:--svg)
        COMPREPLY=($(compgen -f -- "$cur"))
        return
        ;;
    record:-p | record:--pid | report:--pid | gorecord:-p | gorecord:--pid)
        COMPREPLY=($(compgen -W "$(cd /proc 2>/dev/null && echo [0-9]*)" -- "$cur"))
        return
        ;;
    report:--format)
        COMPREPLY=($(compgen -W "text json csv" -- "$cur"))
        return
        ;;
    record:-b | record:--ring-size | record:-d | record:--duration | gorecord:-d | gorecord:--duration | \
        report:--tick | report:--map | report:--since | report:--until | report:--top | \
        report:--ctf-timeout | record:-i | record:--interval | report:-i | report:--interval | \
        report:--live-ticks | report:-j | report:--jobs)
        return # a value the user types
        ;;
    esac
    if [[ $cur == -* ]]; then
        local opts=_bucketscope_${sub}_opts
        COMPREPLY=($(compgen -W "${!opts}" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_bucketscope() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    case ${COMP_WORDS[0]##*/} in
    bucketscope-record) _bucketscope_sub record 1 ;;
    bucketscope-report) _bucketscope_sub report 1 ;;
    bucketscope-gorecord) _bucketscope_sub gorecord 1 ;;
    bucketscope-gosites) _bucketscope_sub gosites 1 ;;
    *)
        if ((COMP_CWORD == 1)); then
            COMPREPLY=($(compgen -W "record gorecord report help -h --help -V --version" -- "$cur"))
        else
            case ${COMP_WORDS[1]} in
            record | report | gorecord) _bucketscope_sub "${COMP_WORDS[1]}" 2 ;;
            esac
        fi
        ;;
    esac
}
complete -F _bucketscope -o filenames bucketscope bucketscope-record bucketscope-report bucketscope-gorecord \
    bucketscope-gosites
