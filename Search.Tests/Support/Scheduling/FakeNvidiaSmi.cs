using System.Globalization;
using System.Text;
using Mnist.Search.Tests.Support.Workers;

namespace Mnist.Search.Tests.Support.Scheduling;

/// <summary>
/// Writes an executable <c>nvidia-smi</c> that answers <c>-L</c> and
/// <c>--query-gpu=index,memory.total,memory.used --format=csv,noheader,nounits</c> as the real one does for the
/// given GPUs, and fails on anything else. Put its folder first on a child's PATH to fake a GPU machine.
/// </summary>
internal static class FakeNvidiaSmi
{
    public static string Write(string folder, params (int Index, string Name, long TotalMiB, long UsedMiB)[] gpus)
    {
        var list = new StringBuilder();
        var memory = new StringBuilder();
        foreach (var g in gpus)
        {
            list.Append(CultureInfo.InvariantCulture, $"echo 'GPU {g.Index}: {g.Name} (UUID: GPU-fake-{g.Index})'\n");
            memory.Append(CultureInfo.InvariantCulture, $"echo '{g.Index}, {g.TotalMiB}, {g.UsedMiB}'\n");
        }
        return Scripts.WriteExecutable(Path.Combine(folder, "nvidia-smi"), $"""
            case "$1" in
            -L)
            {list}  ;;
            --query-gpu=index,memory.total,memory.used)
              [ "$2" = "--format=csv,noheader,nounits" ] || exit 4
            {memory}  ;;
            *) exit 3 ;;
            esac
            """);
    }
}
