// Local stand-in for github.com/pulumi/pulumi-java: the docker-build provider
// imports it only for the Java SDK-generation metadata type below, and the
// version it pins is not served by the module proxy available here.
module github.com/pulumi/pulumi-java

go 1.21
