package ecsapi

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLeanDecoderCoversEveryFieldRead: the lean decoder fills only the
// fields ecswatch reads, so a field read anywhere in the module (outside
// tests) that it does not fill would be nil, silently: an alert that never
// fires. This type-checks the module and fails on any field of the four
// lean outputs, or of the ECS types reachable from them, that some code
// reads and no lean decoder file mentions.
func TestLeanDecoderCoversEveryFieldRead(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the whole module")
	}
	t.Parallel()
	pkgs := goList(t)
	fset := token.NewFileSet()
	exports := map[string]string{}
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if f := exports[path]; f != "" {
			return os.Open(f)
		}
		return nil, os.ErrNotExist
	})

	// Where each field of interest is selected: by lean decoder files, and
	// by everything else.
	decoded, read := map[string]bool{}, map[string][]string{}
	var outputs []types.Type
	for _, p := range pkgs {
		if p.Module == nil || !p.Module.Main || len(p.GoFiles) == 0 {
			continue
		}
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		if _, err := (&types.Config{Importer: imp}).Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		if p.ImportPath == "github.com/ecswatch/ecswatch/collector/ecsapi" && outputs == nil {
			outputs = leanOutputs(t, imp)
		}
		for sel, s := range info.Selections {
			if s.Kind() != types.FieldVal {
				continue
			}
			key := fieldKey(s)
			if key == "" {
				continue
			}
			file := filepath.Base(fset.Position(sel.Pos()).Filename)
			if strings.HasPrefix(file, "lean") && p.ImportPath == "github.com/ecswatch/ecswatch/collector/ecsapi" {
				decoded[key] = true
			} else {
				read[key] = append(read[key], fset.Position(sel.Pos()).String())
			}
		}
	}
	reachable := map[string]bool{}
	for _, o := range outputs {
		walkFields(o, reachable, map[types.Type]bool{})
	}
	if len(reachable) == 0 {
		t.Fatal("found no field of the lean outputs: the scan is broken")
	}
	// Fields of types the lean outputs share with outputs the SDK decodes,
	// read only from those: the scan cannot tell which a read comes from.
	sdkOnly := map[string]string{
		"Attribute.Name":  "container instances' attributes (DescribeContainerInstances); tasks' are not read",
		"Attribute.Value": "container instances' attributes (DescribeContainerInstances); tasks' are not read",
	}
	for _, key := range slices.Sorted(maps.Keys(read)) {
		if reachable[key] && !decoded[key] && sdkOnly[key] == "" {
			t.Errorf("%s is read (%s) but the lean decoder never fills it: decode it in lean.go or lean_services.go", key, read[key][0])
		}
	}
}

// leanOutputs are the SDK output types the lean decoder fills.
func leanOutputs(t *testing.T, imp types.Importer) []types.Type {
	t.Helper()
	pkg, err := imp.Import("github.com/aws/aws-sdk-go-v2/service/ecs")
	if err != nil {
		t.Fatal(err)
	}
	var out []types.Type
	for _, name := range []string{"DescribeTasksOutput", "DescribeServicesOutput", "ListTasksOutput", "ListServicesOutput"} {
		obj := pkg.Scope().Lookup(name)
		if obj == nil {
			t.Fatalf("ecs.%s not found", name)
		}
		out = append(out, obj.Type())
	}
	return out
}

// walkFields records Type.Field for every field of typ and of the ECS
// types its fields hold, however deep.
func walkFields(typ types.Type, into map[string]bool, seen map[types.Type]bool) {
	for {
		switch u := typ.(type) {
		case *types.Pointer:
			typ = u.Elem()
			continue
		case *types.Slice:
			typ = u.Elem()
			continue
		case *types.Map:
			typ = u.Elem()
			continue
		}
		break
	}
	named, ok := typ.(*types.Named)
	if !ok || seen[named] || !ecsPackage(named.Obj().Pkg()) {
		return
	}
	seen[named] = true
	st, ok := named.Underlying().(*types.Struct)
	if !ok {
		return
	}
	for f := range st.Fields() {
		if !f.Exported() {
			continue
		}
		into[named.Obj().Name()+"."+f.Name()] = true
		walkFields(f.Type(), into, seen)
	}
}

func ecsPackage(p *types.Package) bool {
	return p != nil && (p.Path() == "github.com/aws/aws-sdk-go-v2/service/ecs" || p.Path() == "github.com/aws/aws-sdk-go-v2/service/ecs/types")
}

// fieldKey names the field a selection reads as Type.Field, for fields of
// ECS types only.
func fieldKey(s *types.Selection) string {
	recv := s.Recv()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := recv.(*types.Named)
	if !ok || !ecsPackage(named.Obj().Pkg()) {
		return ""
	}
	return named.Obj().Name() + "." + s.Obj().Name()
}

type listedPackage struct {
	ImportPath, Dir, Export string
	GoFiles                 []string
	Module                  *struct{ Main bool }
}

// goList lists the module's packages and their dependencies with export
// data, as go/packages would.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-export", "-json=ImportPath,Dir,Export,GoFiles,Module", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
