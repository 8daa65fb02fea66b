package dev.idbsync.topology;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layering of docs/architecture.md ("Where things live"), checked on the main classes of
 * every module (topology's test classpath holds them all).
 */
@AnalyzeClasses(packages = "dev.idbsync", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String[] CORE = {"dev.idbsync.protocol..", "dev.idbsync.config..",
            "dev.idbsync.resolve..", "dev.idbsync.sequence..", "dev.idbsync.validate..", "dev.idbsync.health..",
            "dev.idbsync.auth.."};

    @ArchTest
    static final ArchRule coreIsPlainJava = noClasses().that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.storm..", "org.apache.ignite..",
                    "io.undertow..", "org.apache.flume..", "org.apache.kafka..", "dev.idbsync.ignite..",
                    "dev.idbsync.storm..", "dev.idbsync.spout..", "dev.idbsync.bolt..", "dev.idbsync.files..",
                    "dev.idbsync.flume..", "dev.idbsync.kafka..", "dev.idbsync.topology..")
            .because("core holds the rules, testable and reusable without Storm, Ignite or a server");

    @ArchTest
    static final ArchRule igniteKnowsNoStorm = noClasses().that().resideInAPackage("dev.idbsync.ignite..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.storm..", "io.undertow..",
                    "dev.idbsync.storm..", "dev.idbsync.spout..", "dev.idbsync.bolt..", "dev.idbsync.topology..")
            .because("the stored formats, readers and writer are used by the spout and the bolts alike");

    @ArchTest
    static final ArchRule stormPartsKnowNoIgnite = noClasses().that()
            .resideInAnyPackage("dev.idbsync.storm..", "dev.idbsync.files..", "dev.idbsync.flume..",
                    "dev.idbsync.kafka..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.ignite..", "dev.idbsync.ignite..",
                    "dev.idbsync.spout..", "dev.idbsync.bolt..", "dev.idbsync.topology..")
            .because("the shared Storm parts and the sinks after Ignite do not touch the store");

    @ArchTest
    static final ArchRule theKafkaSinkKnowsNoFlume = noClasses().that().resideInAPackage("dev.idbsync.kafka..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.idbsync.flume..", "org.apache.flume..")
            .because("each sink stands alone; the Kafka sink takes only the file sink's line format (FileLines)");

    @ArchTest
    static final ArchRule theFlumeBridgeKnowsNoKafka = noClasses().that().resideInAPackage("dev.idbsync.flume..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.idbsync.kafka..", "org.apache.kafka..");

    @ArchTest
    static final ArchRule onlyTheTopologyWiresTheSpout = noClasses().that()
            .resideOutsideOfPackages("dev.idbsync.spout..", "dev.idbsync.topology..")
            .should().dependOnClassesThat().resideInAPackage("dev.idbsync.spout..")
            .because("the spout talks to the bolts through tuples and Ignite only");

    @ArchTest
    static final ArchRule boltsDoNotReachIntoTheWiring = noClasses().that()
            .resideOutsideOfPackage("dev.idbsync.topology..")
            .should().dependOnClassesThat().resideInAPackage("dev.idbsync.topology..");

    @ArchTest
    static final ArchRule noStaticState = fields().that().areStatic()
            .and().areDeclaredInClassesThat().resideInAPackage("dev.idbsync..")
            .should().beFinal()
            .because("the spout and the bolts run in different worker processes: a static field is no way "
                    + "to share state, and a mutable one is state nobody sees");

    @ArchTest
    static final ArchRule noStaticFieldIsAMutableHolder = fields().that().areStatic()
            .and().areDeclaredInClassesThat().resideInAPackage("dev.idbsync..")
            .should().notHaveModifier(JavaModifier.VOLATILE);
}
