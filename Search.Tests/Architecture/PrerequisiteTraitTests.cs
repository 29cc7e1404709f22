using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Architecture;

/// <summary>
/// Every test class that reaches a prerequisite beyond the .NET SDK (a PostgreSQL server, a Slurm cluster, Optuna 4,
/// Debian's Python with PyTorch, chromium, Fashion-MNIST's package) carries its <see cref="Needs"/> trait, and no other:
/// README's command for a machine without them (`--filter "Needs!=…"`) is only true while the traits are. Derived from
/// the sources: a file needs what it names directly, and what every type it names needs, transitively (a test reaching
/// PostgreSQL through a helper of Support/ needs it too). First-time users on a laptop found `dotnet test` failing
/// in 50 files with no way to leave them out (audit 1207, CLI 1).
/// </summary>
public sealed class PrerequisiteTraitTests
{
    // What in a source names a prerequisite directly. Helpers that reach one are found through the types they declare.
    private static readonly Dictionary<string, Regex> Markers = new()
    {
        [Needs.PostgreSql] = new(@"\bPostgresServerFixture\b|\bPostgresCollection\b|MNIST_SEARCH_PG_URL"),
        [Needs.Slurm] = new(@"\bSlurmClusterFixture\b"),
        [Needs.Optuna4] = new(@"MNIST_SEARCH_OPTUNA4"),
        [Needs.DebianPython] = new(@"/usr/bin/python3"),
        [Needs.Chromium] = new(@"new ProcessStartInfo\(""chromium""\)"),
        [Needs.FashionMnist] = new(@"""fetch"",\s*""fashion-mnist"""),
    };

    [Fact]
    public void EveryTestClassCarriesTheTraitsOfWhatItNeedsAndNoOthers()
    {
        // Given each test source's needs, direct and through the types it names
        var needs = NeedsOfEverySource();

        // When the traits each file with tests declares are compared with them
        var wrong = new List<string>();
        foreach (var (file, text) in Sources())
        {
            if (!Regex.IsMatch(text, @"\[(Fact|Theory)\b")) continue;
            var declared = Regex.Matches(text, @"\[Trait\(Needs\.Name, Needs\.(\w+)\)\]")
                .Select(m => (string)typeof(Needs).GetField(m.Groups[1].Value)!.GetValue(null)!).ToHashSet();
            var required = needs[file];
            if (!declared.SetEquals(required))
                wrong.Add($"{Path.GetRelativePath(TestsRoot, file)}: needs [{string.Join(", ", required.Order())}], declares [{string.Join(", ", declared.Order())}]");
        }

        // Then every one declares exactly what it needs
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void TheMarkersStillFindTheHelpersTheyStandFor()
    {
        // Given each prerequisite's marker, which names the helper or setting that reaches it
        var sources = Sources().ToList();

        // Then each still occurs in the sources (a renamed helper would leave every test of it untagged)
        foreach (var (need, marker) in Markers)
            Assert.True(sources.Any(s => marker.IsMatch(s.Text)), $"no source names {need}'s marker {marker}");
    }

    private static Dictionary<string, HashSet<string>> NeedsOfEverySource()
    {
        var sources = Sources().ToList();
        var needs = sources.ToDictionary(s => s.File, s => Markers.Where(m => m.Value.IsMatch(s.Text)).Select(m => m.Key).ToHashSet());
        // The types each file declares, by name; a file naming one needs what the declaring file needs.
        var declaredIn = new Dictionary<string, string>();
        foreach (var (file, text) in sources)
            foreach (Match m in Regex.Matches(text, @"\b(?:class|record|struct|interface)\s+(\w+)"))
                declaredIn.TryAdd(m.Groups[1].Value, file);
        var names = sources.ToDictionary(s => s.File, s => Regex.Matches(Code(s.Text), @"\b[A-Z]\w+\b").Select(m => m.Value)
            .Where(declaredIn.ContainsKey).Select(n => declaredIn[n]).Where(f => f != s.File).ToHashSet());
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (file, used) in names)
                foreach (var other in used)
                    foreach (var need in needs[other])
                        changed |= needs[file].Add(need);
        }
        return needs;
    }

    // Comments and doc comments name types for the reader: they need nothing.
    private static string Code(string text) => Regex.Replace(text, @"//.*", "");

    private static IEnumerable<(string File, string Text)> Sources() =>
        Directory.EnumerateFiles(TestsRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            // This file and the trait's own names mention every marker.
            .Where(f => Path.GetFileName(f) is not ("PrerequisiteTraitTests.cs" or "Needs.cs"))
            .Select(f => (f, File.ReadAllText(f)));

    private static string TestsRoot => Path.Combine(Support.Onnx.MnistFiles.RepositoryRoot, "Search.Tests");
}
