using System.Data;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Mnist.Search.Storage;

/// <summary>
/// An enum written by name. Dapper would send an enum as its integer; Optuna stores names. In PostgreSQL the
/// columns are native ENUM types, so the name goes as an untyped literal and the server infers the column's type
/// (a <c>text</c> parameter would fail with "column is of type trialstate but expression is of type text").
/// </summary>
internal sealed record DbEnum(string Name) : SqlMapper.ICustomQueryParameter
{
    public static DbEnum Of<T>(T value) where T : struct, Enum => new(value.ToString());

    public void AddParameter(IDbCommand command, string name)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = Name;
        if (p is NpgsqlParameter np) np.NpgsqlDbType = NpgsqlDbType.Unknown;
        else p.DbType = DbType.String;
        command.Parameters.Add(p);
    }
}
