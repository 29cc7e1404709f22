using System.Text.RegularExpressions;
using Mnist.Search.Cli;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cluster;
using Mnist.Search.Workers;
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
    public void TheWorkerManifestIsAnIndexedJobOfStudyWorkers()
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
        // ...whose container runs `study worker` with --storage
        var container = Container(job);
        Assert.False(string.IsNullOrWhiteSpace(Text(container, "name")));
        Assert.False(string.IsNullOrWhiteSpace(Text(container, "image")));
        var args = Args(container);
        Assert.Equal(["study", "worker"], args.Take(2));
        Assert.Contains("--storage", args.Take(args.Count - 1));
        // ...and every env variable the args refer to is defined
        var env = Env(container);
        foreach (Match m in Regex.Matches(string.Join(' ', args), @"\$\((\w+)\)")) Assert.True(env.ContainsKey(m.Groups[1].Value), m.Value);
    }

    [Fact]
    public void TheDatabasePasswordReachesTheWorkerOnlyAsPgpasswordFromASecretNeverOnItsCommandLine()
    {
        // Given the manifest's worker container
        var container = Container(Single("deploy/k8s/study-workers.yaml"));
        var env = Env(container);
        var args = Args(container);

        // Then the password comes from a Secret key into PGPASSWORD, which Npgsql reads when the URL has none
        Assert.True(env.ContainsKey("PGPASSWORD"), "no PGPASSWORD in the worker's env");
        Assert.False(string.IsNullOrWhiteSpace(Text(env["PGPASSWORD"], "valueFrom", "secretKeyRef", "name")));
        Assert.False(string.IsNullOrWhiteSpace(Text(env["PGPASSWORD"], "valueFrom", "secretKeyRef", "key")));
        // ...and every variable filled from a Secret is one the worker withholds from its trials (no trial inherits it)
        foreach (var name in env.Where(e => FromSecret(e.Value)).Select(e => e.Key))
            Assert.True(ProcessWorkerLauncher.WithheldVariables.Contains(name), $"{name} comes from a Secret but every trial process inherits it");
        // ...with no envFrom, which would put every key of a Secret in the environment
        Assert.False(container.Children.ContainsKey(new YamlScalarNode("envFrom")), "envFrom puts a whole Secret in the environment");
        // ...while the args (the command line every user of the node can read) name no variable filled from a Secret,
        foreach (Match m in Regex.Matches(string.Join(' ', args), @"\$\((\w+)\)"))
            Assert.False(FromSecret(env[m.Groups[1].Value]), $"args expand {m.Value}, which comes from a Secret, onto the command line");
        // ...and the storage URL they expand to is a PostgreSQL URL without a password
        var storage = Regex.Replace(args[args.IndexOf("--storage") + 1], @"\$\((\w+)\)", m => Text(env[m.Groups[1].Value], "value"));
        Assert.StartsWith("postgresql://", storage);
        Assert.Null(StorageUrl.SplitPassword(storage).Password);
    }

    [Fact]
    public void TheJobRidesOutDisruptionsAndFailsAtOnceWhenAWorkerCannotRunHere()
    {
        // Given the manifest
        var job = Single("deploy/k8s/study-workers.yaml");
        var rules = Seq(job, "spec", "podFailurePolicy", "rules").Children.Cast<YamlMappingNode>().ToList();

        // Then its pods restart as Kubernetes allows with a podFailurePolicy (Never; OnFailure is refused)
        Assert.Equal("Never", Text(job, "spec", "template", "spec", "restartPolicy"));
        Assert.True(int.Parse(Text(job, "spec", "backoffLimit")) >= 1);
        // ...a pod evicted, drained or preempted is replaced without counting toward backoffLimit
        var ignore = Assert.Single(rules, r => Text(r, "action") == "Ignore");
        Assert.Contains("DisruptionTarget", Seq(ignore, "onPodConditions").Children.Cast<YamlMappingNode>().Select(c => Text(c, "type")));
        // ...and the worker container exiting with the command line's bad-input code fails the Job, not a retry
        var failJob = Assert.Single(rules, r => Text(r, "action") == "FailJob");
        Assert.Equal(Text(Container(job), "name"), Text(failJob, "onExitCodes", "containerName"));
        Assert.Equal("In", Text(failJob, "onExitCodes", "operator"));
        var codes = Seq(failJob, "onExitCodes", "values").Children.Select(v => int.Parse(((YamlScalarNode)v).Value!)).ToList();
        Assert.Equal([ExitCodes.BadInput], codes);
        // ...and every rule has an action Kubernetes 1.26 knows (FailIndex needs backoffLimitPerIndex, 1.28 and later)
        Assert.All(rules, r => Assert.Contains(Text(r, "action"), new[] { "FailJob", "Ignore", "Count" }));
    }

    [Fact]
    public void TheExampleSecretHoldsTheKeyTheJobReads()
    {
        // Given the Job and the example Secret
        var job = Single("deploy/k8s/study-workers.yaml");
        var secret = Single("deploy/k8s/secret.example.yaml");
        var reference = (YamlMappingNode)Node(Assert.Single(Env(Container(job)).Values, FromSecret), "valueFrom", "secretKeyRef");

        // Then the Secret is the one the Job names and has that key: a password, not a URL
        Assert.Equal("v1", Text(secret, "apiVersion"));
        Assert.Equal("Secret", Text(secret, "kind"));
        Assert.Equal(Text(reference, "name"), Text(secret, "metadata", "name"));
        var value = Text(secret, "stringData", Text(reference, "key"));
        Assert.False(string.IsNullOrEmpty(value));
        Assert.DoesNotContain("://", value);
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

    [Fact]
    public void EveryBuilderReadsOneDockerignoreThatKeepsOutputsDataStudiesAndGitOutOfTheContext()
    {
        // Given the Dockerfile, built with the repository root as its context
        var dockerfile = File.ReadAllText(RepositoryFiles.Path("deploy/Dockerfile"));

        // Then the only ignore file is the root .dockerignore, which the legacy builder, BuildKit and buildah all read
        // (BuildKit would prefer deploy/Dockerfile.dockerignore, which the others ignore: two files, two contexts)
        Assert.Empty(Directory.GetFiles(RepositoryFiles.Path("deploy"), "*.dockerignore", SearchOption.AllDirectories));
        var patterns = File.ReadAllLines(RepositoryFiles.Path(".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        // ...keeping build outputs, data, studies (Slurm's job scripts hold passwords) and .git out, with no exception
        foreach (var pattern in new[] { "**/bin/", "**/obj/", "data/", "studies/", ".git/" }) Assert.Contains(pattern, patterns);
        Assert.DoesNotContain(patterns, p => p.StartsWith('!'));
        // ...and no `# syntax` directive, for which BuildKit would fetch a frontend image from outside REGISTRY
        Assert.DoesNotMatch(@"(?im)\A(#.*\n)*#\s*syntax\s*=", dockerfile);
    }

    private static YamlMappingNode Container(YamlMappingNode job) =>
        Assert.Single(Seq(job, "spec", "template", "spec", "containers").Children.Cast<YamlMappingNode>());

    private static List<string> Args(YamlMappingNode container) =>
        Seq(container, "args").Children.Select(a => ((YamlScalarNode)a).Value!).ToList();

    private static Dictionary<string, YamlMappingNode> Env(YamlMappingNode container) =>
        Seq(container, "env").Children.Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name"));

    private static bool FromSecret(YamlMappingNode variable) =>
        variable.Children.TryGetValue(new YamlScalarNode("valueFrom"), out var from)
        && ((YamlMappingNode)from).Children.ContainsKey(new YamlScalarNode("secretKeyRef"));

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
