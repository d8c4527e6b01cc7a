// FTXModel module — placeholder until its issue lands.
public enum FTXModelModule { public static let name = "FTXModel" }
