// Package java is a minimal stand-in providing only the schema metadata type
// the docker-build provider embeds in its schema ("language.java"). It has no
// effect on how the provider builds images.
package java

// PackageInfo is the Java-specific package metadata of a Pulumi schema.
type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion,omitempty"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
}
