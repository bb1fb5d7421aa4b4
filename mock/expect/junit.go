package expect

import (
	"encoding/xml"
	"io"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes the report as JUnit XML: one test case per expectation, a
// failure carrying the reason, a pass its finding as system-out. CI systems
// (GitHub Actions reporters, GitLab's junit report) show it per expectation.
// Its timestamp is the report's, on the sandbox clock, so a run gives the
// same report every time.
func (r Report) JUnit(w io.Writer) error {
	suite := junitSuite{Name: r.Scenario, Tests: len(r.Results), Failures: r.Failed, Timestamp: r.At.UTC().Format("2006-01-02T15:04:05")}
	for _, res := range r.Results {
		c := junitCase{Name: res.Name, Classname: "freedompay-mock." + res.Kind, Time: "0"}
		if res.OK {
			c.SystemOut = res.Message
		} else {
			c.Failure = &junitFailure{Message: res.Message, Type: res.Kind, Text: res.Message}
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Name: "freedompay-mock verify", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
