using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keyward.Protocol.Json;

/// <summary>AWS JSON 1.1 timestamps: epoch seconds as a JSON number, millisecond precision.</summary>
internal sealed class EpochSecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number) throw new JsonException("Expected epoch seconds.");
        var seconds = reader.GetDouble();
        if (double.IsNaN(seconds) || seconds < -62135596800 || seconds > 253402300799) throw new JsonException("Timestamp out of range.");
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.ToUnixTimeMilliseconds() / 1000m);
}
