package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// No production code of tui or cmd decides on a check's words: a check's
// Reason (or a check's Name) is never searched, prefixed or compared with
// a literal; code decides on Kind, Subject and Cause (fleet.Check.Key).
// Rewording a reason must change no remedy, no sort, no output's logic.
func TestNoDecisionsOnCheckWords(t *testing.T) {
	searching := map[string]bool{"HasPrefix": true, "HasSuffix": true, "Contains": true, "ContainsAny": true,
		"EqualFold": true, "Index": true, "Cut": true, "CutPrefix": true, "CutSuffix": true, "Count": true}
	// tainted are the local names given a check's words (reason :=
	// chk.Reason) in the file being read.
	var tainted map[string]bool
	// checkWords says whether e reads a check's words: x.Reason, the Name
	// of a value named like a check (chk, check, x.check), or a local
	// given them.
	checkWords := func(e ast.Expr) bool {
		found := false
		words := func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			return isCheckWords(n) || ok && tainted[id.Name]
		}
		ast.Inspect(e, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok { // a method's name (cmd.Name()) is not a field
				for _, a := range call.Args {
					ast.Inspect(a, func(m ast.Node) bool { found = found || words(m); return !found })
				}
				return false
			}
			found = found || words(n)
			return !found
		})
		return found
	}
	for _, dir := range []string{"../../tui", "."} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			tainted = map[string]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
					for i, r := range as.Rhs {
						if id, isID := as.Lhs[i].(*ast.Ident); isID && checkWords(r) {
							tainted[id.Name] = true
						}
					}
				}
				return true
			})
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					if pkg, isID := sel.X.(*ast.Ident); isID && pkg.Name == "strings" && searching[sel.Sel.Name] {
						for _, a := range n.Args {
							if checkWords(a) {
								t.Errorf("%s: strings.%s over a check's words", fset.Position(n.Pos()), sel.Sel.Name)
							}
						}
					}
				case *ast.BinaryExpr:
					if (n.Op == token.EQL || n.Op == token.NEQ) && (isLit(n.X) && checkWords(n.Y) || isLit(n.Y) && checkWords(n.X)) {
						t.Errorf("%s: a check's words compared with a literal", fset.Position(n.Pos()))
					}
				}
				return true
			})
		}
	}
}

func isCheckWords(n ast.Node) bool {
	sel, ok := n.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	switch sel.Sel.Name {
	case "Reason":
		return true
	case "Name":
		switch x := sel.X.(type) {
		case *ast.Ident:
			return x.Name == "chk" || x.Name == "check"
		case *ast.SelectorExpr:
			return x.Sel.Name == "check"
		}
	}
	return false
}

// isLit is a literal other than "" (whether there are words at all is no
// decision on them).
func isLit(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Value != `""`
}
