// Command gitlabschema checks GitLab CI files against GitLab's own JSON
// schema for .gitlab-ci.yml (vendored in .ci/schema/gitlab-ci.json):
//
//	gitlabschema -schema .ci/schema/gitlab-ci.json examples/gitlab/.gitlab-ci.yml
//
// It exits 0 when every file holds to the schema, 1 naming each file that
// does not and why, 2 when the schema or a file cannot be read.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gitlabschema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	schemaPath := fs.String("schema", ".ci/schema/gitlab-ci.json", "GitLab's CI JSON schema")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: gitlabschema [-schema FILE] .gitlab-ci.yml...")
		return 2
	}
	schema, err := compile(*schemaPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	code := 0
	for _, name := range fs.Args() {
		err := check(schema, name)
		var invalid *jsonschema.ValidationError
		switch {
		case errors.As(err, &invalid):
			fmt.Fprintf(stderr, "%s does not hold to GitLab's CI schema:\n%v\n", name, invalid)
			code = max(code, 1)
		case err != nil:
			fmt.Fprintln(stderr, err)
			code = 2
		default:
			fmt.Fprintf(stdout, "%s: valid\n", name)
		}
	}
	return code
}

// compile reads and compiles the schema at path.
func compile(path string) (*jsonschema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	url := "file://" + filepath.ToSlash(abs)
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	return s, nil
}

// check reads one YAML file and validates it against schema; a
// *jsonschema.ValidationError says how it falls short.
func check(schema *jsonschema.Schema, path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		return fmt.Errorf("%s: not YAML: %w", path, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return schema.Validate(inst)
}
