// Package codegen is a minimal stand-in providing only the schema metadata
// type the docker-build provider embeds in its schema ("language.csharp"). It
// has no effect on how the provider builds images.
package codegen

// CSharpPackageInfo is the C#-specific package metadata of a Pulumi schema.
type CSharpPackageInfo struct {
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
}
