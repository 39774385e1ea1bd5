package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func TestRebind(t *testing.T) {
	uu := map[string]struct {
		cfg  map[string][]string
		want []string // substrings of the errors, in order; none = ok
	}{
		"none":           {cfg: nil},
		"rebind refresh": {cfg: map[string][]string{"refresh": {"z", "ctrl+r"}}},
		"unknown action": {cfg: map[string][]string{"refrsh": {"x"}}, want: []string{`keys.refrsh: unknown action "refrsh" (did you mean "refresh"?)`}},
		"unknown far":    {cfg: map[string][]string{"zzzzzzzz": {"x"}}, want: []string{`unknown action "zzzzzzzz"; actions are`}},
		"conflict with default": {
			cfg:  map[string][]string{"quit": {"o"}},
			want: []string{`keys.quit: key "o" is bound to both "quit" and "sort"`},
		},
		"conflict between two": {
			cfg:  map[string][]string{"help": {"z"}, "refresh": {"z"}},
			want: []string{`key "z" is bound to both "help" and "refresh"`},
		},
		"ctrl+c reserved": {cfg: map[string][]string{"help": {"ctrl+c"}}, want: []string{"ctrl+c always quits"}},
		"empty list":      {cfg: map[string][]string{"help": {}}, want: []string{"keys.help: needs at least one key"}},
		"all reported": {
			cfg:  map[string][]string{"nope": {"x"}, "help": {}},
			want: []string{"keys.help: needs", "keys.nope: unknown"},
		},
	}
	for name, u := range uu {
		t.Run(name, func(t *testing.T) {
			k := DefaultKeyMap()
			err := k.Rebind(u.cfg)
			if len(u.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			errs := err.(interface{ Unwrap() []error }).Unwrap()
			if len(errs) != len(u.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(u.want), err)
			}
			for i, w := range u.want {
				var ke *KeyError
				if !errors.As(errs[i], &ke) || !strings.Contains(ke.Error(), w) {
					t.Errorf("error %d = %v, want %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestRebind_TakesEffect(t *testing.T) {
	k := DefaultKeyMap()
	if err := k.Rebind(map[string][]string{"refresh": {"z"}}); err != nil {
		t.Fatal(err)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("z")}, k.Refresh) {
		t.Error("z does not refresh")
	}
	if key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("R")}, k.Refresh) {
		t.Error("R still refreshes after rebinding")
	}
	if k.Refresh.Help().Key != "z" || k.Refresh.Help().Desc != "poll now" {
		t.Errorf("help = %+v", k.Refresh.Help())
	}

	m, _, polled := fixture(t)
	*m.c.keys = k
	send(m, tea.WindowSizeMsg{Width: 100, Height: 20})
	send(m, keys("z")...)
	if len(*polled) != 1 {
		t.Errorf("rebound key did not poll: %v", *polled)
	}
}
