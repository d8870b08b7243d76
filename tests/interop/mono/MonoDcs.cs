// DataContractSerializer's side of tests/interop/mono_wws_dcs.sh: "write KIND"
// prints the XML it writes for the fixed value of KIND (v, n, box); "read KIND"
// reads XML from stdin and prints what it got, in the form wws_dcs prints.
using System;
using System.IO;
using System.Runtime.Serialization;
using System.Text;
using System.Xml;

namespace WwsDcs
{
    [DataContract(Namespace = "http://t")] public enum Color { [EnumMember] Red, [EnumMember] Green, [EnumMember] Blue }
    [DataContract(Namespace = "http://t")] public class V {
        [DataMember(Order = 1)] public float F; [DataMember(Order = 2)] public DateTime D; [DataMember(Order = 3)] public DateTime DN;
        [DataMember(Order = 4)] public TimeSpan T; [DataMember(Order = 5)] public TimeSpan T2; [DataMember(Order = 6)] public Guid G;
        [DataMember(Order = 7)] public byte[] B; [DataMember(Order = 8)] public Color C; [DataMember(Order = 9)] public TimeSpan T3;
        [DataMember(Order = 10)] public float F2; [DataMember(Order = 11)] public decimal M;
    }
    [DataContract(Namespace = "http://t")] public class N {
        [DataMember(Order = 1)] public string S; [DataMember(Order = 2)] public byte[] B; [DataMember(Order = 3)] public int? I;
        [DataMember(Order = 4)] public int? J; [DataMember(Order = 5)] public string E;
    }
    [DataContract(Namespace = "http://t")] [KnownType(typeof(Circle))] public class Shape { [DataMember(Order = 1)] public string Name; }
    [DataContract(Namespace = "http://t/geo")] public class Circle : Shape { [DataMember(Order = 1)] public double R; }
    [DataContract(Namespace = "http://t")] public class Box { [DataMember(Order = 1)] public Shape A; [DataMember(Order = 2)] public Shape B; }

    static class MonoDcs
    {
        static object Value(string kind)
        {
            switch (kind) {
            case "v": return new V { F = 1.5f, D = new DateTime(2026, 12, 5, 15, 39, 57, DateTimeKind.Utc).AddTicks(1234500),
                DN = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Unspecified), T = new TimeSpan(1, 2, 3, 4).Add(TimeSpan.FromTicks(5000)),
                T2 = TimeSpan.Zero, G = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"), B = new byte[] { 0, 1, 2, 253, 254, 255, 65 },
                C = Color.Blue, T3 = TimeSpan.FromSeconds(-90), F2 = 1e20f, M = -12.50m };
            case "n": return new N { J = 5, E = "" };
            default: return new Box { A = new Circle { Name = "c", R = 1.5 }, B = new Shape { Name = "s" } };
            }
        }
        static Type TypeOf(string kind) { return kind == "v" ? typeof(V) : kind == "n" ? typeof(N) : typeof(Box); }
        static int Bits(float f) { return BitConverter.ToInt32(BitConverter.GetBytes(f), 0); }
        static string Bytes(byte[] b) { return b == null ? "null" : BitConverter.ToString(b); }
        static string Str(string s) { return s == null ? "null" : "[" + s + "]"; }
        static string Shape(Shape s) { return s is Circle ? "Circle " + s.Name + " " + (int)(((Circle)s).R * 10) : "Shape " + s.Name; }
        static string Describe(object o)
        {
            var v = o as V; var n = o as N; var x = o as Box;
            if (v != null)
                return string.Format("F={0} D={1}/{2} DN={3}/{4} T={5} T2={6} G={7} B={8} C={9} T3={10} F2={11} M={12}", Bits(v.F), v.D.Ticks,
                    v.D.Kind, v.DN.Ticks, v.DN.Kind, v.T.Ticks, v.T2.Ticks, v.G, Bytes(v.B), v.C, v.T3.Ticks, Bits(v.F2),
                    v.M.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (n != null)
                return string.Format("S={0} B={1} I={2} J={3} E={4}", Str(n.S), Bytes(n.B), n.I.HasValue ? n.I.ToString() : "null",
                    n.J.HasValue ? n.J.ToString() : "null", Str(n.E));
            return "A=" + Shape(x.A) + " B=" + Shape(x.B);
        }
        static int Main(string[] args)
        {
            var s = new DataContractSerializer(TypeOf(args[1]));
            if (args[0] == "write") {
                var sb = new StringBuilder();
                using (var w = XmlWriter.Create(sb, new XmlWriterSettings { OmitXmlDeclaration = true }))
                    s.WriteObject(w, Value(args[1]));
                Console.WriteLine(sb.ToString());
            } else if (args[0] == "describe") {
                Console.WriteLine(Describe(Value(args[1])));
            } else {
                Console.WriteLine(Describe(s.ReadObject(XmlReader.Create(new StringReader(Console.In.ReadToEnd())))));
            }
            return 0;
        }
    }
}
