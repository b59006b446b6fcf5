// slipway-trivy-db writes a trivy vulnerability database (trivy.db, bolt, schema
// 2, plus metadata.json) from a small JSON file of OS-package advisories, with
// trivy-db's own Go packages. Trivy's published database cannot be fetched on
// Slipway's offline machines, so tests scan against advisories they write.
//
// Usage: slipway-trivy-db -in advisories.json -out DIR
//
//	{"advisories": [{"ecosystem": "debian", "release": "12", "package": "foo",
//	  "id": "CVE-2099-0001", "fixedVersion": "1.2-3", "severity": "CRITICAL",
//	  "title": "..."}]}
//
// "package" is the source package: trivy looks Debian advisories up by the dpkg
// status's Source name and reports the binary package.
//
// then: trivy image --cache-dir <parent of DIR> --skip-db-update ...  (DIR is <cache>/db)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/bucket"
	bolt "go.etcd.io/bbolt"
)

type advisory struct {
	Ecosystem    string `json:"ecosystem"`
	Release      string `json:"release"`
	Package      string `json:"package"`
	ID           string `json:"id"`
	FixedVersion string `json:"fixedVersion"`
	Severity     string `json:"severity"`
	Title        string `json:"title"`
}

type input struct {
	Advisories []advisory `json:"advisories"`
}

func osBucket(a advisory) (string, types.SourceID, error) {
	switch a.Ecosystem {
	case "debian":
		return bucket.NewDebian(a.Release).Name(), "debian", nil
	case "ubuntu":
		return bucket.NewUbuntu(a.Release).Name(), "ubuntu", nil
	case "alpine":
		return bucket.NewAlpine(a.Release).Name(), "alpine", nil
	default:
		return "", "", fmt.Errorf("advisory %s: ecosystem %q is not one of debian, ubuntu, alpine", a.ID, a.Ecosystem)
	}
}

func run(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var doc input
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(out, "trivy.db"))
	if err := db.Init(out); err != nil {
		return err
	}
	defer db.Close()
	dbc := db.Config{}
	err = dbc.BatchUpdate(func(tx *bolt.Tx) error {
		for _, a := range doc.Advisories {
			sev, err := types.NewSeverity(a.Severity)
			if err != nil {
				return fmt.Errorf("advisory %s: %w", a.ID, err)
			}
			bkt, source, err := osBucket(a)
			if err != nil {
				return err
			}
			if err := dbc.PutDataSource(tx, bkt, types.DataSource{ID: source, Name: bkt + " (Slipway test advisories)"}); err != nil {
				return err
			}
			if err := dbc.PutAdvisory(tx, []string{bkt, a.Package}, a.ID, types.Advisory{FixedVersion: a.FixedVersion}); err != nil {
				return err
			}
			vuln := types.Vulnerability{
				Title:          a.Title,
				Severity:       sev.String(),
				VendorSeverity: types.VendorSeverity{source: sev},
			}
			if err := dbc.PutVulnerability(tx, a.ID, vuln); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return metadata.NewClient(out).Update(metadata.Metadata{
		Version:      db.SchemaVersion,
		NextUpdate:   now.Add(24 * time.Hour),
		UpdatedAt:    now,
		DownloadedAt: now,
	})
}

func main() {
	in := flag.String("in", "", "advisories JSON file")
	out := flag.String("out", "", "database directory (trivy's <cache-dir>/db)")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: slipway-trivy-db -in advisories.json -out DIR")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "slipway-trivy-db:", err)
		os.Exit(1)
	}
}
