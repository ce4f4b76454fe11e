package history

import (
	"context"
	"errors"
	"testing"

	"github.com/playground-dev/playground/web/problem"
)

// TestNotFoundSaysWhich: what is missing is a NotFound problem that says
// which thing (the page shows its message), and still ErrNotFound.
func TestNotFoundSaysWhich(t *testing.T) {
	const run, comparison, link = "No such run in this session's history.",
		"No such comparison in this session's history.", "This link does not exist or was revoked."
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for name, tc := range map[string]struct {
			call func() error
			want string
		}{
			"get":                         {func() error { _, err := s.Get(ctx, "o", "nope"); return err }, run},
			"transcript":                  {func() error { _, err := s.Transcript(ctx, "o", "nope"); return err }, run},
			"delete":                      {func() error { return s.Delete(ctx, "o", "nope") }, run},
			"share":                       {func() error { _, err := s.Share(ctx, "o", "nope"); return err }, run},
			"unshare":                     {func() error { return s.Unshare(ctx, "o", "nope") }, run},
			"shared":                      {func() error { _, err := s.Shared(ctx, "nope"); return err }, link},
			"shared, empty id":            {func() error { _, err := s.Shared(ctx, ""); return err }, link},
			"comparison":                  {func() error { _, err := s.Comparison(ctx, "o", "nope"); return err }, comparison},
			"share comparison":            {func() error { _, err := s.ShareComparison(ctx, "o", "nope"); return err }, comparison},
			"unshare comparison":          {func() error { return s.UnshareComparison(ctx, "o", "nope") }, comparison},
			"delete comparison":           {func() error { return s.DeleteComparison(ctx, "o", "nope") }, comparison},
			"shared comparison":           {func() error { _, err := s.SharedComparison(ctx, "nope"); return err }, link},
			"shared comparison, empty id": {func() error { _, err := s.SharedComparison(ctx, ""); return err }, link},
		} {
			t.Run(name, func(t *testing.T) {
				err := tc.call()
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("err %v, want ErrNotFound", err)
				}
				if p := problem.Of(err); p.Kind != problem.KindNotFound || p.Message != tc.want {
					t.Fatalf("problem %q %q, want not_found %q", p.Kind, p.Message, tc.want)
				}
			})
		}
	})
}
