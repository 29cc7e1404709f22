namespace Mnist.Search.Config;

/// <summary>How <c>devices</c> was given.</summary>
public enum DevicesMode
{
    /// <summary><c>"auto"</c>: every GPU <c>nvidia-smi</c> lists, else CPU slots.</summary>
    Auto,

    /// <summary>A list such as <c>["cuda:0", "cuda:1"]</c> or <c>["cpu", "cpu"]</c>, taken as given.</summary>
    List,

    /// <summary><c>"cpu"</c> or <c>{"cpu_slots": N, "threads_per_slot": T}</c>.</summary>
    Cpu,
}
