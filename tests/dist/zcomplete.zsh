# zcomplete.zsh: drive zsh's completion for tests/dist/test_completion.py.
# usage: zsh -f zcomplete.zsh FPATH_DIR LINE; prints one candidate a line.
# Drive zsh's completion system non-interactively: a zpty runs an
# interactive zsh with the completion under test, and the candidates are
# listed by a completer wrapper that prints what compadd received.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='' ; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'comptest() { compadd() { local -a a; builtin compadd -O a "$@"; print -l -- "<C>$^a"; builtin compadd "$@" }; _main_complete; unfunction compadd }'
zpty -w z "zle -C tcomp complete-word comptest; bindkey '^T' tcomp; print '<READY>'"
zpty -r z line '*<READY>*'
zpty -w -n z "$2"$'\C-T'
zpty -w z $'\C-U'"print '<DONE>'"
while zpty -r z line; do
  [[ $line == *'<DONE>'* ]] && break
  [[ $line == *'<C>'* ]] && print -r -- "${${line##*<C>}%%$'\r'}"
done
zpty -d z
