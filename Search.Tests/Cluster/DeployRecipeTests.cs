using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cluster;
using YamlDotNet.RepresentationModel;

namespace Mnist.Search.Tests.Cluster;

/// <summary>
/// The container and Kubernetes recipes, checked as far as this machine can without a container engine or
/// a cluster: the manifest parses and has what Kubernetes requires, and the Dockerfile's runtime stage
/// points at what its build stage produces. (deploy/check-dockerfile.sh runs the build steps themselves.)
/// </summary>
public sealed class DeployRecipeTests
{
    [Fact]
    public void TheWorkerManifestIsAnIndexedJobOfStudyWorkersReadingTheStorageUrlFromASecret()
    {
        // Given the manifest
        var job = Single("deploy/k8s/study-workers.yaml");

        // Then it is a batch/v1 Indexed Job with a name, as many completions as parallel pods, and a restart policy Jobs allow
        Assert.Equal("batch/v1", Text(job, "apiVersion"));
        Assert.Equal("Job", Text(job, "kind"));
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", Text(job, "metadata", "name"));
        Assert.Equal("Indexed", Text(job, "spec", "completionMode"));
        Assert.True(int.Parse(Text(job, "spec", "completions")) >= 1);
        Assert.Equal(Text(job, "spec", "completions"), Text(job, "spec", "parallelism"));
        Assert.Contains(Text(job, "spec", "template", "spec", "restartPolicy"), new[] { "Never", "OnFailure" });
        // ...whose container runs `study worker` with the storage URL from a Secret key, through an env variable it defines
        var container = Assert.Single(Seq(job, "spec", "template", "spec", "containers").Children.Cast<YamlMappingNode>());
        Assert.False(string.IsNullOrWhiteSpace(Text(container, "name")));
        Assert.False(string.IsNullOrWhiteSpace(Text(container, "image")));
        var args = Seq(container, "args").Children.Select(a => ((YamlScalarNode)a).Value!).ToList();
        Assert.Equal(["study", "worker"], args.Take(2));
        var storage = args[args.IndexOf("--storage") + 1];
        var env = Seq(container, "env").Children.Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name"));
        var variable = Regex.Match(storage, @"^\$\((\w+)\)$").Groups[1].Value;
        Assert.True(env.ContainsKey(variable), $"--storage {storage} names no env variable of the container");
        Assert.False(string.IsNullOrWhiteSpace(Text(env[variable], "valueFrom", "secretKeyRef", "name")));
        Assert.False(string.IsNullOrWhiteSpace(Text(env[variable], "valueFrom", "secretKeyRef", "key")));
        // ...and every env variable the args refer to is defined
        foreach (Match m in Regex.Matches(string.Join(' ', args), @"\$\((\w+)\)")) Assert.True(env.ContainsKey(m.Groups[1].Value), m.Value);
    }

    [Fact]
    public void TheExampleSecretHoldsTheKeyTheJobReads()
    {
        // Given the Job and the example Secret
        var job = Single("deploy/k8s/study-workers.yaml");
        var secret = Single("deploy/k8s/secret.example.yaml");
        var reference = Seq((YamlMappingNode)Seq(job, "spec", "template", "spec", "containers").Children[0], "env").Children
            .Cast<YamlMappingNode>().Select(e => e.Children.TryGetValue("valueFrom", out var v) ? (YamlMappingNode)((YamlMappingNode)v)["secretKeyRef"] : null)
            .Single(r => r is not null)!;

        // Then the Secret is the one the Job names and has that key
        Assert.Equal("v1", Text(secret, "apiVersion"));
        Assert.Equal("Secret", Text(secret, "kind"));
        Assert.Equal(Text(reference, "name"), Text(secret, "metadata", "name"));
        Assert.StartsWith("postgresql://", Text(secret, "stringData", Text(reference, "key")));
    }

    [Fact]
    public void TheRuntimeStageRunsWhatTheBuildStageBuiltForThisTargetFramework()
    {
        // Given the Dockerfile and the target framework every project builds for
        var dockerfile = File.ReadAllText(RepositoryFiles.Path("deploy/Dockerfile"));
        var tfm = Regex.Match(File.ReadAllText(RepositoryFiles.Path("Directory.Build.props")), "<TargetFramework>(.+?)</TargetFramework>").Groups[1].Value;

        // Then the build stage copies both projects' build output of that framework to /out
        Assert.Matches(@"(?m)^FROM \S+ AS build$", dockerfile);
        Assert.Matches(@"(?m)^FROM \S+ AS runtime$", dockerfile);
        Assert.Contains($"cp -r Search/bin/Release/{tfm} /out/search", dockerfile);
        Assert.Contains($"cp -r Trials/bin/Release/{tfm} /out/trials", dockerfile);
        // ...and the runtime stage takes it from there, starts the coordinator and names the worker it copied
        Assert.Contains("COPY --from=build /out/search /app/search", dockerfile);
        Assert.Contains("COPY --from=build /out/trials /app/trials", dockerfile);
        Assert.Contains("ENTRYPOINT [\"/app/search/Search\"]", dockerfile);
        Assert.Matches(@"ENV MNIST_SEARCH_WORKER=/app/trials/Trials\b", dockerfile);
        Assert.Contains("MNIST_SEARCH_WORKER", File.ReadAllText(RepositoryFiles.Path("Search/Workers/WorkerLocator.cs")));
    }

    private static YamlMappingNode Single(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(RepositoryFiles.Path(relative));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlNode Node(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            var map = Assert.IsType<YamlMappingNode>(current);
            Assert.True(map.Children.TryGetValue(new YamlScalarNode(key), out var next), $"missing key '{key}' in {string.Join('.', path)}");
            current = next!;
        }
        return current;
    }

    private static string Text(YamlMappingNode node, params string[] path) => Assert.IsType<YamlScalarNode>(Node(node, path)).Value ?? "";

    private static YamlSequenceNode Seq(YamlMappingNode node, params string[] path) => Assert.IsType<YamlSequenceNode>(Node(node, path));
}
