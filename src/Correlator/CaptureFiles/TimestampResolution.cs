namespace FlowExporter.Correlator.CaptureFiles;

/// <summary>A pcapng interface's <c>if_tsresol</c> (10^-n or 2^-n seconds per unit) and <c>if_tsoffset</c>.</summary>
internal readonly record struct TimestampResolution(byte Code)
{
    public static TimestampResolution Microseconds { get; } = new(6);

    public long OffsetSeconds { get; init; }

    public long ToNanoseconds(ulong units)
    {
        var exponent = Code & 0x7F;
        long nanoseconds;
        if ((Code & 0x80) == 0)
        {
            if (exponent <= 9)
            {
                nanoseconds = (long)(units * Pow10(9 - exponent));
            }
            else
            {
                nanoseconds = (long)(units / Pow10(Math.Min(exponent - 9, 19)));
            }
        }
        else
        {
            nanoseconds = exponent >= 64 ? 0 : (long)((UInt128)units * 1_000_000_000UL >> exponent);
        }

        return nanoseconds + (OffsetSeconds * 1_000_000_000L);
    }

    private static ulong Pow10(int exponent)
    {
        var value = 1UL;
        for (var i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }
}
