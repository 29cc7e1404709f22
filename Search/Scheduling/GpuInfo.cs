namespace Mnist.Search.Scheduling;

/// <summary>One GPU as <c>nvidia-smi -L</c> lists it.</summary>
public sealed record GpuInfo(int Index, string Name, string? Uuid);
