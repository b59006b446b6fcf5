// Local stand-in for github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3:
// the docker-build provider imports it only for the C# SDK-generation metadata
// type below, and the version it pins is not served by the module proxy here.
module github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3

go 1.21
