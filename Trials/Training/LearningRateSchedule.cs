using Mnist.Trials.Protocol;

namespace Mnist.Trials.Training;

/// <summary>
/// The learning rate at each optimisation step. Cosine anneals per step (so it also works for one or
/// two epochs) from the base rate to zero over the whole run; step multiplies by <c>lr_gamma</c> every
/// <c>lr_step_size</c> epochs.
/// </summary>
internal sealed record LearningRateSchedule(string Kind, double BaseRate, int StepSize, double Gamma, int Epochs, int StepsPerEpoch)
{
    public static LearningRateSchedule From(Hyperparameters hp, int epochs, int stepsPerEpoch) =>
        new(hp.LrSchedule, hp.LearningRate, hp.LrStepSize, hp.LrGamma, epochs, stepsPerEpoch);

    /// <summary>Rate for the step <paramref name="step"/> (0-based) of epoch <paramref name="epoch"/> (1-based).</summary>
    public double RateAt(int epoch, int step) => Kind switch
    {
        "cosine" => BaseRate * 0.5 * (1 + Math.Cos(Math.PI * Progress(epoch, step))),
        "step" => BaseRate * Math.Pow(Gamma, (epoch - 1) / StepSize),
        _ => BaseRate,
    };

    private double Progress(int epoch, int step)
    {
        long total = (long)Epochs * StepsPerEpoch;
        long done = (long)(epoch - 1) * StepsPerEpoch + step;
        return total <= 0 ? 0 : Math.Min(1.0, (double)done / total);
    }
}
