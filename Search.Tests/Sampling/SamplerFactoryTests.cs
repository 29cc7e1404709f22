using Mnist.Search.Sampling;

namespace Mnist.Search.Tests.Sampling;

public sealed class SamplerFactoryTests
{
    [Fact]
    public void WhenKindIsGpTpeOrRandomThenThatSamplerIsBuilt()
    {
        Assert.IsType<GpSampler>(SamplerFactory.Create(new SamplerSettings()));
        Assert.IsType<TpeSampler>(SamplerFactory.Create(new SamplerSettings(SamplerSettings.Tpe)));
        Assert.IsType<RandomSampler>(SamplerFactory.Create(new SamplerSettings(SamplerSettings.Random)));
    }

    [Fact]
    public void WhenASamplerIsBuiltThenItSaysInWordsWhatItIsWithItsStartupAndSeed()
    {
        // (the study log records this line at start)
        Assert.Equal("gp: Gaussian process (Matérn 5/2, noise fitted, log EI) after 12 quasi-random start-up trials, seed 7; " +
            "every epoch observed, fidelity an input, proposals judged at 3 epochs",
            SamplerFactory.Create(new SamplerSettings(SamplerSettings.Gp, 12, 7, MaxFidelity: 3)).ToString());
        Assert.Equal("tpe: Optuna's TPE (univariate, 24 candidates) after 10 random start-up trials, seed 7",
            SamplerFactory.Create(new SamplerSettings(SamplerSettings.Tpe, 10, 7)).ToString());
        Assert.Equal("random: independent uniform draws, seed 7", SamplerFactory.Create(new SamplerSettings(SamplerSettings.Random, 10, 7)).ToString());
    }

    [Fact]
    public void WhenKindIsUnknownThenTheErrorNamesTheFieldAndValue()
    {
        var e = Assert.Throws<ArgumentException>(() => SamplerFactory.Create(new SamplerSettings("cmaes")));
        Assert.Contains("sampler.kind", e.Message);
        Assert.Contains("'cmaes'", e.Message);
    }

    [Fact]
    public void WhenStartupTrialsIsNegativeThenTheErrorNamesTheField()
    {
        var e = Assert.Throws<ArgumentException>(() => SamplerFactory.Create(new SamplerSettings(StartupTrials: -1)));
        Assert.Contains("sampler.startup_trials", e.Message);
    }

    [Fact]
    public void WhenSettingsAreReadFromJsonThenSnakeCaseNamesAreUsed()
    {
        var settings = System.Text.Json.JsonSerializer.Deserialize<SamplerSettings>("""{"kind": "random", "startup_trials": 4, "seed": 9}""");
        Assert.Equal(new SamplerSettings(SamplerSettings.Random, 4, 9), settings);
    }
}
