namespace Mnist.Trials.Export;

/// <summary>A safetensors file (or a tensor list to be written) breaks the format; the message names file and field.</summary>
internal sealed class SafetensorsFormatException(string message) : Exception(message);
