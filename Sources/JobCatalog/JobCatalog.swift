import JobCompare
import JobDiffusion
import JobKit
import JobNS2D
import JobPipeline
import JobRMT
import JobSelftest
import JobTrain

/// Every job kind Cascade knows. Adding a kind is one module and one line here.
public enum JobCatalog {
    /// The kinds, in the order `cascade describe` lists them.
    public static var kinds: [any JobKind.Type] {
        [
            SelftestJob.self,
            NS2DJob.self,
            CovarianceJob.self,
            RMTSweepJob.self,
            TrainJob.self,
            WideSweepJob.self,
            CompareJob.self,
            SampleJob.self,
            PipelineJob.self,
        ]
    }

    /// The kind called `name`, if any.
    public static func kind(named name: String) -> (any JobKind.Type)? {
        kinds.first { $0.name == name }
    }

    /// All kind names.
    public static var names: [String] { kinds.map { $0.name } }
}
